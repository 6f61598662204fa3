-- One finding of the schema-drift check (names, counts and profiles; never a value).
INSERT INTO ops.payload_drift VALUES (
    $source, $entity, $business_date, $field, $change, $json_type, $lines, $mean_length,
    $digit_share, $letter_share, $distinct_ratio, now())
