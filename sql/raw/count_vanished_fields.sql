-- The contract fields missing on every line that carries a new field at the same place: the
-- other half of a rename, with how many lines lack them there. Names and counts only.
-- $segments: the day's segment paths. $new_fields, $old_fields: field paths without '$.'.
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
pairs AS (
    SELECT n.field AS new_field, o.field AS old_field
    FROM (SELECT unnest($new_fields::VARCHAR[]) AS field) AS n,
         (SELECT unnest($old_fields::VARCHAR[]) AS field) AS o
    -- Fields inside arrays are left out (a JSON path with [*] must be a constant in DuckDB):
    -- a new field there is still reported, its vanished sibling is not looked for.
    WHERE NOT contains(n.field, '[*]') AND NOT contains(o.field, '[*]')
      AND coalesce(nullif(regexp_extract(n.field, '^(.*)\.[^.]*$', 1), ''), '')
        = coalesce(nullif(regexp_extract(o.field, '^(.*)\.[^.]*$', 1), ''), '')
),
counted AS (
    SELECT p.old_field, p.new_field,
           count(*) FILTER (WHERE json_exists(l.line, '$.' || p.new_field)) AS with_new,
           count(*) FILTER (WHERE json_exists(l.line, '$.' || p.new_field)
                              AND NOT json_exists(l.line, '$.' || p.old_field)) AS without_old
    FROM pairs AS p, lines AS l
    GROUP BY ALL
)
SELECT old_field, max(without_old) AS lines
FROM counted
WHERE with_new > 0 AND without_old = with_new
GROUP BY old_field
ORDER BY old_field;
