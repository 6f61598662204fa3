-- Every field path (arrays as [*]) a day's lines carry, read straight from its landing segments:
-- the payload_shape check's clean-day test (field_mappings.day_drift), which stages nothing. Field
-- names only: no value, type or count leaves this statement. A day with a new field is then
-- staged and shaped as before (stage_payload_shape.sql), for exact types, counts, vanished
-- fields and profiles.
-- The lines are grouped as stage_payload_shape.sql groups them, and json_tree walks one
-- sample per group, but json_structure (keys and value types of every node: most of the 23 s
-- CPU of that grouping on the 1,000,000-line benchmark day) is computed only for the lines the
-- cheap key cannot vouch for (docs/benchmarks.md, stop 34). Those lines keep json_structure's one
-- gap, shared with stage_payload_shape.sql: an empty array and an array of nulls have one
-- structure, so a sample may miss an [*] made only of nulls.
-- The cheap key is the keys of the objects at the contract's object paths ($object_paths: the
-- root first, then the contract's fields that hold others, outside arrays), and it is
-- used only when the line's '{' and '[' characters are exactly as many as those paths holding an
-- object with at least one key (a non-empty json_keys list: json_keys gives [] for a scalar, an
-- array or {}, NULL if absent). Why that is exact for the field set: every '{' or '[' outside a
-- string opens a container and the paths name distinct containers, so characters >= containers
-- >= objects at the paths; equal counts mean those objects are the line's only containers. Every
-- field is then a key of one of them, so the keys at the paths determine the line's field set,
-- and lines with the same keys carry the same fields. A brace in a string value, an array, an
-- empty object, a duplicated object or a field that is an object where the contract has a scalar
-- only makes the counts differ: the line is grouped by json_structure, as before.
-- Each line is parsed twice, by json_valid and json_keys: the object count comes from the key
-- lists, not from json_type, and a line is an object when it starts with '{' (the only JSON value
-- that can; json_type only for a line that starts otherwise, e.g. with a blank). json_type of
-- every line was two more parses, as the filter on it was pushed below the projection that
-- computed it and DuckDB evaluated it twice (1M benchmark day: this statement 6.5-7.3 -> 4.3-4.6
-- s CPU, docs/benchmarks.md).
-- The reader's options are stage_landed_lines_from_segment.sql's, so it rejects the same
-- segments (bad UTF-8, CR, SOH): the caller then stages the day through the loader's irregular
-- path. A blank line reads as NULL, no JSON object, as the staged '' is not.
-- $segments: the day's segment paths. $object_paths: JSON paths without wildcards, '$' first.
WITH lines AS (
    SELECT line
    FROM read_csv(
        $segments,
        columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
        auto_detect = false, new_line = '\n', hive_partitioning = false,
        max_line_size = 67108864
    )
    WHERE json_valid(line)
),
keyed AS (
    SELECT
        line,
        json_keys(line, $object_paths::VARCHAR[]) AS keys,
        strlen(line) - strlen(replace(replace(line, '{', ''), '[', '')) AS brackets
    FROM lines
    WHERE starts_with(line, '{') OR json_type(line) = 'OBJECT'
),
counted AS (
    SELECT line, keys, brackets, len(list_filter(keys, lambda k: len(k) > 0)) AS objects
    FROM keyed
),
samples AS (
    SELECT any_value(line) AS sample
    FROM counted
    GROUP BY CASE WHEN brackets = objects
                  THEN 'keys ' || keys::VARCHAR
                  ELSE 'structure ' || json_structure(line)::VARCHAR END
)
SELECT DISTINCT regexp_replace(substr(t.fullkey, 3), '\[[0-9]+\]', '[*]', 'g') AS field
FROM samples AS s, json_tree(s.sample) AS t
WHERE t.fullkey <> '$'
ORDER BY field
