-- An approved field mapping (mappings/field_mappings.csv) applied to the staged lines before
-- they are screened and parsed: the key landed_field, where it stands at the path the mapping
-- names and its name occurs once in the line, is renamed to contract_field's name. Only the key
-- is rewritten (text), so every value — amounts above all — stays byte for byte as landed; the
-- landing segment itself is never touched. A line the rename cannot apply to keeps its shape and
-- is quarantined as before.
-- $landed_path, $contract_path: JSON paths ($.payload.amount_minor). $old_key, $new_key: the
-- bare key names. $valid_from: first business day the mapping applies to.
UPDATE landed_lines
SET line = regexp_replace(line, '"' || $old_key || '"(\s*):', '"' || $new_key || '"\1:')
WHERE valid_utf8
  AND business_date >= $valid_from
  AND CASE WHEN json_valid(line)
           THEN json_exists(line, $landed_path) AND NOT json_exists(line, $contract_path)
                AND len(regexp_extract_all(line, '"' || $old_key || '"\s*:')) = 1
           ELSE false END;
