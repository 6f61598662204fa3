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
)
SELECT
    loads.business_date, segments, landed, loaded, duplicates, quarantined,
    coalesce(quarantined_by_reason, MAP {}) AS quarantined_by_reason,
    coalesce(late_events, 0) AS late_events,
    loaded_at
FROM loads
LEFT JOIN reasons USING (business_date)
LEFT JOIN late USING (business_date);
