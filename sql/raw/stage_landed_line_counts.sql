-- Lines per business day in the landing files, counted as newlines without splitting them.
-- $segments: the day range's segment paths.
CREATE OR REPLACE TEMP TABLE landed_line_counts AS
SELECT
    CAST(regexp_extract(filename, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE) AS business_date,
    sum(length(rtrim(content, chr(10))) - length(replace(rtrim(content, chr(10)), chr(10), '')) + 1) AS landed
FROM read_text($segments)
GROUP BY ALL;
