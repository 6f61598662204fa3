-- The review queue: every suggestion with the given status ($status NULL: all), best first per value.
SELECT suggestion_id, status, mapping_kind, context, unmapped_value, suggestion_rank, confidence,
       target, reason, source, held_business_dates, held_records, mapping_file, proposed_row,
       replay_job, decided_by, decided_at, decision_note, valid_from
FROM ops.mapping_suggestions
WHERE $status IS NULL OR status = $status
ORDER BY mapping_kind, context, unmapped_value, suggestion_rank, suggestion_id
