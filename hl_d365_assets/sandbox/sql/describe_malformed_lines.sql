-- malformed_json: say where each line is cut (truncated_line in create_envelopes.sql).
UPDATE defects AS d
SET detail = 'line cut after ' || length(truncated_line(v.line)) || ' of ' || length(v.line) || ' characters'
FROM (
    SELECT 'payment_transactions' AS entity, store_idx, slot, ordinal, line
    FROM payment_transactions_envelopes
    WHERE delivery_defect = 'malformed_json'
) AS v
WHERE d.kind = 'malformed_json'
    AND d.entity = v.entity AND d.store_idx = v.store_idx AND d.slot = v.slot AND d.ordinal = v.ordinal;
