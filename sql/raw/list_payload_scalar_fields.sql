-- The staged payload shape's scalar fields outside arrays: what the field-rename evaluation may
-- hold out and rename.
SELECT DISTINCT field
FROM payload_shape
WHERE json_type NOT IN ('OBJECT', 'ARRAY') AND NOT contains(field, '[*]')
ORDER BY field
