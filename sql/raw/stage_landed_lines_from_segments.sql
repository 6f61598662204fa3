-- One set-based pass over the day's segments: read each file whole, split it into lines and
-- number them. The business day is the segment's folder (landing/<source>/<entity>/business_date=…).
-- A segment that is not valid UTF-8 is set aside here (text NULL) and staged line by line by the
-- loader, so one corrupt file cannot fail the day.
-- $segments: list of segment paths.
CREATE OR REPLACE TEMP TABLE segment_texts AS
SELECT filename AS segment_path, try(decode(content)) AS text
FROM read_blob($segments);

INSERT INTO landed_lines
WITH segment_files AS (
    SELECT segment_path, string_split(rtrim(text, chr(10)), chr(10)) AS lines
    FROM segment_texts
    WHERE text IS NOT NULL
)
SELECT
    segment_path,
    CAST(regexp_extract(segment_path, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE),
    unnest(range(1, len(lines) + 1)),
    unnest(lines),
    true
FROM segment_files;
