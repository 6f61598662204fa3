-- No segments landed for the range: every day counts zero landed lines.
CREATE OR REPLACE TEMP TABLE landed_line_counts (business_date DATE, landed BIGINT);
