-- Value profiles of named fields over the staged lines (landed_lines), for the field-mapping
-- suggestions: JSON type, mean length, share of all-digit and all-letter values, distinct ratio.
-- Profiles only; the values themselves are never selected out. A field outside arrays is read by
-- its path; one inside an array ([*], which a JSON path parameter cannot hold in DuckDB) or under
-- an empty key ("", which DuckDB's JSON paths refuse: the statement failed and the check with it)
-- by walking the lines that name its key, each element's value counted.
-- $fields: field paths as payload_shape names them.
CREATE OR REPLACE TEMP TABLE payload_field_profiles AS
WITH objects AS (
    SELECT line
    FROM landed_lines
    WHERE valid_utf8 AND json_valid(line) AND json_type(line) = 'OBJECT'
),
named AS (
    SELECT field, regexp_matches(field, '(^|\.)""($|[.\[])') AS empty_key
    FROM (SELECT unnest($fields::VARCHAR[]) AS field)
),
wanted AS (
    SELECT field, empty_key, contains(field, '[*]') OR empty_key AS walked
    FROM named
),
plain_values AS (
    SELECT w.field, json_type(l.line, '$.' || w.field) AS json_type,
           json_extract_string(l.line, '$.' || w.field) AS v
    FROM objects AS l, wanted AS w
    WHERE NOT w.walked AND json_exists(l.line, '$.' || w.field)
),
array_keys AS (
    -- A line naming an empty key holds '""' (so does one with an empty string: read, not kept).
    SELECT field,
           CASE WHEN empty_key THEN '""'
                ELSE '"' || regexp_extract(field, '([^.\[\]]+)$', 1) || '"' END AS quoted_key
    FROM wanted
    WHERE walked
),
array_values AS (
    SELECT k.field, t.type AS json_type,
           CASE WHEN t.type NOT IN ('OBJECT', 'ARRAY') THEN t.value ->> '$' END AS v
    FROM (SELECT line FROM objects
          WHERE EXISTS (SELECT 1 FROM array_keys AS k WHERE contains(line, k.quoted_key))) AS l,
         json_tree(l.line) AS t,
         array_keys AS k
    WHERE regexp_replace(substr(t.fullkey, 3), '\[[0-9]+\]', '[*]', 'g') = k.field
),
vals AS (
    SELECT * FROM plain_values
    UNION ALL
    SELECT * FROM array_values
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
