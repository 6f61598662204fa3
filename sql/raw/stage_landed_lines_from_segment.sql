-- One segment's lines, each with its file and 1-based line number. The CSV reader with no
-- quoting, no escaping and a delimiter that cannot occur in them is DuckDB's fastest line
-- splitter; WITH ORDINALITY numbers its rows in file order (insertion order must be preserved
-- for this statement), which is the line number, since the statement reads one file. One
-- statement per segment, not one for all: numbering lines across files needed a window over the
-- whole day (the first ordinal of each file), which held every line of the day in memory at once.
-- A blank line reads as NULL and stays an (empty, malformed) line. The reader rejects the
-- statement on bad UTF-8, CR or SOH; the loader then stages the segment line by line
-- (find_irregular_segments.sql). The business day is the segment's folder.
-- $segment: the segment's path.
INSERT INTO landed_lines
SELECT
    $segment AS segment_path,
    CAST(regexp_extract($segment, 'business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE) AS business_date,
    ordinality AS line_number,
    coalesce(line, '') AS line,
    true AS valid_utf8
FROM read_csv(
    $segment,
    columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
    auto_detect = false, new_line = '\n', hive_partitioning = false,
    max_line_size = 67108864
) WITH ORDINALITY;
