-- The demo's per-day table: what happened to the landed records.
SELECT
    business_date, landed, loaded, duplicates, quarantined,
    array_to_string(list_transform(map_entries(quarantined_by_reason), lambda e: e.key || ' ' || e.value), ', ') AS reasons,
    late_events, flagged_records
FROM ops.daily_load_summary
ORDER BY business_date
