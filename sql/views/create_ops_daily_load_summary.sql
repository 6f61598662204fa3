-- What happened to each business day's landed records, across the Heartland entities.
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
)
SELECT
    loads.business_date, segments, landed, loaded, duplicates, quarantined,
    coalesce(quarantined_by_reason, MAP {}) AS quarantined_by_reason,
    coalesce(late_events, 0) AS late_events,
    coalesce(flagged_records, 0) AS flagged_records,
    loaded_at
FROM loads
LEFT JOIN reasons USING (business_date)
LEFT JOIN late USING (business_date)
LEFT JOIN flagged USING (business_date);
