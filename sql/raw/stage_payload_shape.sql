-- The payload shape of one entity's landed day: every field path (arrays as [*]) with its JSON
-- type and how many lines carry it, read set-based with json_tree over the landed lines. Field
-- names, types and counts only: no value leaves this statement (lines may carry card or
-- personal data). Lines that are not JSON objects are the quarantine's, not the shape's.
-- A field outside any array occurs once per line, so its lines are its rows: count(*). Only
-- fields under an array ([*]) can repeat within a line and need count(DISTINCT line_id); a
-- DISTINCT over every (field, line) pair of the day was a hash table of ~50 million entries per
-- million lines, which spilled 13 GiB under a 1GB memory budget.
-- $segments: the day's segment paths.
CREATE OR REPLACE TEMP TABLE payload_shape AS
WITH lines AS (
    SELECT filename AS segment_path, row_number() OVER () AS line_id, line
    FROM read_csv(
        $segments,
        columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
        auto_detect = false, new_line = '\n', filename = true, hive_partitioning = false,
        max_line_size = 67108864, ignore_errors = true
    )
    WHERE json_valid(line) AND json_type(line) = 'OBJECT'
)
SELECT
    regexp_replace(substr(t.fullkey, 3), '\[[0-9]+\]', '[*]', 'g') AS field,
    t.type AS json_type,
    count(*) FILTER (WHERE NOT contains(t.fullkey, '[')) + count(DISTINCT line_id) FILTER (WHERE contains(t.fullkey, '[')) AS lines
FROM lines, json_tree(lines.line) AS t
WHERE t.fullkey <> '$'
GROUP BY ALL;
