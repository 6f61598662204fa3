-- One parallel pass over the regular segments: every line with its file and 1-based line
-- number. The CSV reader with no quoting, no escaping and a delimiter that cannot occur in them
-- is DuckDB's fastest line splitter; WITH ORDINALITY numbers rows in file order, and the first
-- ordinal of each file turns that into a line number (insertion order must be preserved for
-- this statement). A blank line reads as NULL and stays an (empty, malformed) line. The reader
-- rejects the whole statement on bad UTF-8, CR or SOH; the loader then sets such segments aside
-- (find_irregular_segments.sql). The business day is the segment's folder.
-- $segments: segment paths.
INSERT INTO landed_lines
SELECT
    filename AS segment_path,
    CAST(regexp_extract(filename, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE) AS business_date,
    ordinality - min(ordinality) OVER (PARTITION BY filename) + 1 AS line_number,
    coalesce(line, '') AS line,
    true AS valid_utf8
FROM read_csv(
    $segments,
    columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
    auto_detect = false, new_line = '\n', filename = true, hive_partitioning = false,
    max_line_size = 67108864
) WITH ORDINALITY;
