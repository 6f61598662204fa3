-- Value profiles of named fields over the day's landed lines, for the field-rename suggestions:
-- JSON type, mean length, share of all-digit and all-letter values, distinct ratio. Profiles
-- only; the values themselves are never selected out.
-- $segments: the day's segment paths. $fields: field paths as payload_shape names them.
CREATE OR REPLACE TEMP TABLE payload_field_profiles AS
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
vals AS (
    SELECT f.field, json_type(l.line, '$.' || f.field) AS json_type,
           json_extract_string(l.line, '$.' || f.field) AS v
    FROM lines AS l, (SELECT unnest($fields::VARCHAR[]) AS field) AS f
    WHERE NOT contains(f.field, '[*]') AND json_exists(l.line, '$.' || f.field)
)
SELECT
    field,
    mode(json_type) AS json_type,
    count(*) AS n,
    avg(length(v)) AS mean_length,
    avg(CASE WHEN regexp_full_match(v, '-?[0-9]+') THEN 1 ELSE 0 END) AS digit_share,
    avg(CASE WHEN regexp_full_match(v, '[A-Za-z_ ]+') THEN 1 ELSE 0 END) AS letter_share,
    count(DISTINCT v) / count(*) AS distinct_ratio
FROM vals
GROUP BY field;
