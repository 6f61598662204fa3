-- An approved field mapping that moves a field to another object (mappings/field_mappings.csv),
-- applied to the staged lines before they are screened and parsed: the landed key and its value
-- are cut out of the object they landed in (which is dropped if that left it empty) and written
-- first into the contract field's object. Text is moved, never re-serialised: the value's bytes
-- stay as landed (12.50 stays 12.50; DuckDB's JSON functions would write 12.5), and the landing
-- segment itself is never touched. The rewrite applies to a scalar value outside arrays whose
-- key, and the two objects' keys, are named once in the line, and the contract field's object
-- must be there; the result is kept only if it is JSON with the same value at the contract path
-- and none at the landed one. Any other line keeps its shape and is quarantined as before.
-- $landed_path, $contract_path, $landed_parent_path, $target_path: JSON paths ($ for the root).
-- $landed_key, $landed_parent_key, $target_key: regexes of the keys as written ('"amount"'),
-- '' for the root. $contract_key: the contract key as JSON text. $valid_from: first business day.
UPDATE landed_lines
SET line = moved.line
FROM (
    WITH movable AS (
        SELECT
            segment_path, line_number, line,
            regexp_extract(
                line,
                $landed_key || '\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null)', 1
            ) AS value_text
        FROM landed_lines
        WHERE valid_utf8
          AND business_date >= $valid_from
          AND CASE WHEN json_valid(line)
                   THEN json_exists(line, $landed_path) AND NOT json_exists(line, $contract_path)
                        AND json_type(line, $landed_path) NOT IN ('OBJECT', 'ARRAY')
                        AND coalesce(json_type(line, $target_path) = 'OBJECT', false)
                        AND len(regexp_extract_all(line, $landed_key || '\s*:')) = 1
                        AND ($landed_parent_key = ''
                             OR len(regexp_extract_all(line, $landed_parent_key || '\s*:')) = 1)
                        AND ($target_key = ''
                             OR len(regexp_extract_all(line, $target_key || '\s*:')) = 1)
                   ELSE false END
    ),
    cut AS (
        -- The pair and the comma that joined it to a neighbour (before it, or else after it).
        SELECT
            *,
            CASE WHEN regexp_matches(line, ',\s*' || $landed_key || '\s*:\s*' || value_pattern)
                 THEN regexp_replace(line, ',\s*' || $landed_key || '\s*:\s*' || value_pattern, '')
                 ELSE regexp_replace(line, $landed_key || '\s*:\s*' || value_pattern || '\s*,?', '')
            END AS cut_line
        FROM (
            SELECT *, '(?:' || regexp_escape(value_text) || ')' AS value_pattern
            FROM movable
        )
    ),
    tidied AS (
        SELECT
            *,
            CASE WHEN $landed_parent_key <> '' AND json_valid(cut_line)
                      AND json_extract(cut_line, $landed_parent_path)::VARCHAR = '{}'
                 THEN CASE WHEN regexp_matches(cut_line, ',\s*' || $landed_parent_key || '\s*:\s*\{\s*\}')
                           THEN regexp_replace(cut_line, ',\s*' || $landed_parent_key || '\s*:\s*\{\s*\}', '')
                           ELSE regexp_replace(cut_line, $landed_parent_key || '\s*:\s*\{\s*\}\s*,?', '')
                      END
                 ELSE cut_line
            END AS tidy_line
        FROM cut
    ),
    placed AS (
        SELECT
            *,
            CASE WHEN json_valid(tidy_line) THEN regexp_replace(
                tidy_line,
                CASE WHEN $target_key = '' THEN '^(\s*\{)' ELSE '(' || $target_key || '\s*:\s*\{)' END,
                '\1' || replace($contract_key || ':' || value_text, '\', '\\')
                    || CASE WHEN json_extract(tidy_line, $target_path)::VARCHAR = '{}' THEN '' ELSE ',' END
            ) END AS new_line
        FROM tidied
    )
    SELECT segment_path, line_number, new_line AS line
    FROM placed
    WHERE CASE WHEN json_valid(new_line)
               THEN json_exists(new_line, $contract_path) AND NOT json_exists(new_line, $landed_path)
                    AND json_extract(new_line, $contract_path) = json_extract(line, $landed_path)
               ELSE false END
) AS moved
WHERE landed_lines.segment_path = moved.segment_path
  AND landed_lines.line_number = moved.line_number;
