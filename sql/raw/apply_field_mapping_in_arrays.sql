-- An approved rename of a field inside array elements (mappings/field_mappings.csv; a path with
-- [*], such as payload.lines[*].quantity), applied to the staged lines before they are screened
-- and parsed: every occurrence of the landed key is renamed, when the line writes that key
-- exactly where the path finds it (as many times as the path has values) and no element
-- already carries the contract key. Only key text is rewritten, so every value stays byte for
-- byte as landed; the landing segment is never touched. Other lines keep their shape and are
-- quarantined as before. (A wildcard path returns a list in DuckDB, hence a statement of its
-- own beside apply_field_mapping.sql.)
-- $landed_path, $contract_path: JSON paths with [*]. $old_key, $new_key: the bare key names.
-- $valid_from: first business day the mapping applies to.
UPDATE landed_lines
SET line = regexp_replace(line, '"' || $old_key || '"(\s*):', '"' || $new_key || '"\1:', 'g')
WHERE valid_utf8
  AND business_date >= $valid_from
  AND CASE WHEN json_valid(line)
           THEN len(json_extract(line, $landed_path)) > 0
                AND len(json_extract(line, $contract_path)) = 0
                AND len(regexp_extract_all(line, '"' || $old_key || '"\s*:'))
                    = len(json_extract(line, $landed_path))
           ELSE false END;
