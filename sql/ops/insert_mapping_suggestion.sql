-- One suggestion; one already decided under the same id keeps its decision.
INSERT INTO ops.mapping_suggestions (
    suggestion_id, mapping_kind, mapping_file, context, unmapped_value, suggestion_rank,
    confidence, reason, target, proposed_row, source, held_business_dates, held_records,
    replay_job, suggested_at, status)
VALUES ($suggestion_id, $mapping_kind, $mapping_file, $context, $unmapped_value, $suggestion_rank,
        $confidence, $reason, $target, $proposed_row, $source, $held_business_dates, $held_records,
        $replay_job, now(), 'open')
ON CONFLICT (suggestion_id) DO NOTHING
