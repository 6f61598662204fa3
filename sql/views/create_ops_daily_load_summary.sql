-- What happened to each business day's landed records, across the Heartland entities, and the
-- requests the webhook receiver refused for the day (which never became landed records).
CREATE OR REPLACE VIEW ops.daily_load_summary AS
WITH loads AS (
    SELECT business_date, sum(segments) AS segments, sum(landed) AS landed, sum(loaded) AS loaded,
           sum(duplicates) AS duplicates, sum(quarantined) AS quarantined, max(loaded_at) AS loaded_at
    FROM ops.partition_loads
    GROUP BY business_date
),
reasons AS (
    SELECT business_date, map_from_entries(list((reason_code, records) ORDER BY reason_code)) AS quarantined_by_reason
    FROM (SELECT business_date, reason_code, count(*) AS records FROM ops.quarantine GROUP BY ALL)
    GROUP BY business_date
),
late AS (
    SELECT business_date, count(*) AS late_events
    FROM (
        SELECT business_date FROM canonical.payments WHERE is_late
        UNION ALL
        SELECT business_date FROM canonical.pos_sales WHERE is_late
    )
    GROUP BY business_date
),
-- Loaded records the mappings could not fully describe (a ticket counts once, whichever of its
-- sale, lines or tenders carries the issue).
flagged AS (
    SELECT business_date, count(DISTINCT record_id) AS flagged_records
    FROM (
        SELECT business_date, transaction_id AS record_id FROM canonical.payments WHERE mapping_issue IS NOT NULL
        UNION ALL SELECT business_date, batch_id FROM canonical.settlement_batches WHERE mapping_issue IS NOT NULL
        UNION ALL SELECT business_date, batch_id FROM canonical.settlement_fees WHERE mapping_issue IS NOT NULL
        UNION ALL SELECT business_date, ticket_id FROM canonical.pos_sales WHERE mapping_issue IS NOT NULL
        UNION ALL SELECT business_date, ticket_id FROM canonical.pos_sale_lines WHERE mapping_issue IS NOT NULL
        UNION ALL SELECT business_date, ticket_id FROM canonical.pos_tenders WHERE mapping_issue IS NOT NULL
    )
    GROUP BY business_date
),
refused AS (
    SELECT business_date, sum(refusals) AS refused_requests,
           map_from_entries(list((reason_code, refusals) ORDER BY reason_code)) AS refused_by_reason
    FROM (SELECT business_date, reason_code, sum(refusals) AS refusals FROM ops.receiver_refusals GROUP BY ALL)
    GROUP BY business_date
),
days AS (
    SELECT business_date FROM loads UNION SELECT business_date FROM refused
)
SELECT
    days.business_date, coalesce(segments, 0) AS segments, coalesce(landed, 0) AS landed,
    coalesce(loaded, 0) AS loaded, coalesce(duplicates, 0) AS duplicates,
    coalesce(quarantined, 0) AS quarantined,
    coalesce(quarantined_by_reason, MAP {}) AS quarantined_by_reason,
    coalesce(late_events, 0) AS late_events,
    coalesce(flagged_records, 0) AS flagged_records,
    loaded_at,
    coalesce(refused_requests, 0) AS refused_requests,
    coalesce(refused_by_reason, MAP {}) AS refused_by_reason
FROM days
LEFT JOIN loads USING (business_date)
LEFT JOIN refused USING (business_date)
LEFT JOIN reasons USING (business_date)
LEFT JOIN late USING (business_date)
LEFT JOIN flagged USING (business_date);
COMMENT ON VIEW ops.daily_load_summary IS 'Per business day, across the Heartland entities: what landed and where it went (landed = loaded + duplicates + quarantined), quarantined records by reason, late events and records with a mapping issue.';
COMMENT ON COLUMN ops.daily_load_summary.business_date IS 'Business day. Source: ops.partition_loads(business_date)';
COMMENT ON COLUMN ops.daily_load_summary.segments IS 'Landing segment files read, all entities. Source: ops.partition_loads(segments)';
COMMENT ON COLUMN ops.daily_load_summary.landed IS 'Records that arrived, all entities. Source: ops.partition_loads(landed)';
COMMENT ON COLUMN ops.daily_load_summary.loaded IS 'Records loaded into the raw tables. Source: ops.partition_loads(loaded)';
COMMENT ON COLUMN ops.daily_load_summary.duplicates IS 'Redeliveries of an event already loaded, counted not loaded. Source: ops.partition_loads(duplicates)';
COMMENT ON COLUMN ops.daily_load_summary.quarantined IS 'Landed records not loaded, with a reason. Source: ops.partition_loads(quarantined)';
COMMENT ON COLUMN ops.daily_load_summary.quarantined_by_reason IS 'Rows of ops.quarantine for the day by reason_code (a journal D365 rejected included); empty when none. Source: ops.quarantine(reason_code)';
COMMENT ON COLUMN ops.daily_load_summary.late_events IS 'Gateway transactions and POS tickets with an event that landed after their business day had ended (is_late).';
COMMENT ON COLUMN ops.daily_load_summary.flagged_records IS 'Loaded transactions, batches and tickets the mappings could not fully describe (mapping_issue set in any canonical table; a ticket counts once).';
COMMENT ON COLUMN ops.daily_load_summary.loaded_at IS 'When the latest of the day''s entities was loaded (UTC). Source: ops.partition_loads(loaded_at)';
COMMENT ON COLUMN ops.daily_load_summary.refused_requests IS 'Requests the webhook receiver refused (400, 413, 422) for the day: never landed, so in none of the other counts. Source: ops.receiver_refusals(refusals)';
COMMENT ON COLUMN ops.daily_load_summary.refused_by_reason IS 'refused_requests per reason code (not_json, not_an_object, bad_shape, too_large, unknown_event_type). Source: ops.receiver_refusals(reason_code)';
