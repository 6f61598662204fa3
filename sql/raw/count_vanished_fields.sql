-- For each (new field, contract field) pair: the lines carrying the new field, when the contract
-- field is missing on every one of them (the other half of a rename or a move), from the staged
-- shape's structures (stage_payload_shape.sql): presence is exact per structure, inside arrays
-- too (a field carried by no element of the line), so no line is read again. Names and counts
-- only.
-- $new_fields, $old_fields: parallel lists of field paths as payload_shape names them.
WITH pairs AS (
    SELECT unnest($new_fields::VARCHAR[]) AS new_field, unnest($old_fields::VARCHAR[]) AS old_field
),
present AS (
    SELECT DISTINCT structure_id, lines, field
    FROM payload_structure_fields
),
carrying AS (
    SELECT p.new_field, p.old_field, n.structure_id, n.lines, o.field IS NOT NULL AS has_old
    FROM pairs AS p
    JOIN present AS n ON n.field = p.new_field
    LEFT JOIN present AS o ON o.structure_id = n.structure_id AND o.field = p.old_field
)
SELECT new_field, old_field, sum(lines)::BIGINT AS lines
FROM carrying
GROUP BY new_field, old_field
HAVING NOT bool_or(has_old)
ORDER BY new_field, old_field;
