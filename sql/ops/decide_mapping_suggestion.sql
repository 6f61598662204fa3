-- A person's decision on one open suggestion: approved (with the valid_from written) or rejected.
UPDATE ops.mapping_suggestions
SET status = $status, decided_by = $decided_by, decided_at = now(), decision_note = $note,
    valid_from = $valid_from
WHERE suggestion_id = $suggestion_id AND status = 'open'
