-- Approving one suggestion for a value rejects the value's other open ones: one row is written.
UPDATE ops.mapping_suggestions AS s
SET status = 'rejected', decided_by = $decided_by, decided_at = now(),
    decision_note = 'another suggestion for the value was approved: ' || $suggestion_id
FROM ops.mapping_suggestions AS a
WHERE a.suggestion_id = $suggestion_id AND s.status = 'open' AND s.suggestion_id <> a.suggestion_id
  AND s.mapping_kind = a.mapping_kind AND s.context = a.context
  AND s.unmapped_value = a.unmapped_value
