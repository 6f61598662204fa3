-- One set-based pass over the day's segments: read each file whole, split it into lines and
-- number them. The business day is the segment's folder (landing/<source>/<entity>/business_date=…).
-- $segments: list of segment paths.
INSERT INTO landed_lines
WITH segment_files AS (
    SELECT
        filename AS segment_path,
        string_split(rtrim(content, chr(10)), chr(10)) AS lines
    FROM read_text($segments)
)
SELECT
    segment_path,
    CAST(regexp_extract(segment_path, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE),
    unnest(range(1, len(lines) + 1)),
    unnest(lines)
FROM segment_files;
