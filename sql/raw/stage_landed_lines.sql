-- Staging (connection-local): every line of the segments being loaded, with its lineage.
CREATE OR REPLACE TEMP TABLE landed_lines (
    segment_path    VARCHAR,
    business_date   DATE,
    line_number     BIGINT,
    line            VARCHAR,
    valid_utf8      BOOLEAN
);
