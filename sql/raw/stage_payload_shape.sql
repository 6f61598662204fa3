-- The payload shape of one entity's landed day: every field path (arrays as [*]) with its JSON
-- type and how many lines carry it. Field names, types and counts only: no value leaves this
-- statement (lines may carry card or personal data). Lines that are not JSON objects are the
-- quarantine's, not the shape's.
-- A day's lines share a handful of structures (json_structure: keys and value types, arrays'
-- elements merged), so the lines are grouped by structure first and json_tree walks one sample
-- line per structure, weighted by its line count. Exact for every field's presence and, outside
-- arrays, for its type (a different type is a different structure); inside an array a sample's
-- per-element types stand for its structure's lines (["x", 1] and [2, "y"] share one). Measured
-- on the 1,000,000-line benchmark day under a 1GB budget: json_tree over every line with
-- row_number() as the line id ran out of memory (the window holds every line); this takes
-- ~20 s CPU and ~400 MiB.
-- $segments: the day's segment paths.
CREATE OR REPLACE TEMP TABLE payload_shape AS
WITH lines AS (
    SELECT line
    FROM read_csv(
        $segments,
        columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
        auto_detect = false, new_line = '\n', filename = true, hive_partitioning = false,
        max_line_size = 67108864, ignore_errors = true
    )
    WHERE json_valid(line) AND json_type(line) = 'OBJECT'
),
structures AS (
    SELECT json_structure(line) AS structure, count(*) AS lines, any_value(line) AS sample
    FROM lines
    GROUP BY structure
),
fields AS (
    -- DISTINCT: a field under an array repeats once per element within its sample line.
    SELECT DISTINCT
        s.structure,
        s.lines,
        regexp_replace(substr(t.fullkey, 3), '\[[0-9]+\]', '[*]', 'g') AS field,
        t.type AS json_type
    FROM structures AS s, json_tree(s.sample) AS t
    WHERE t.fullkey <> '$'
)
SELECT field, json_type, sum(lines)::BIGINT AS lines
FROM fields
GROUP BY ALL;
