-- The conservation ledger recomputed from scratch, not from the loader's own counts: lines in
-- the landing files versus rows in raw, duplicates and quarantine, per business day.
-- Reads landed_line_counts (create_landed_line_counts.sql); $first, $last, $days, $source, $entity.
WITH landed AS (
    SELECT business_date, landed FROM landed_line_counts
),
loaded AS (
    SELECT business_date, count(*) AS loaded FROM raw.{entity}
    WHERE business_date BETWEEN $first AND $last GROUP BY ALL
),
duplicates AS (
    SELECT business_date, count(*) AS duplicates FROM ops.duplicate_events
    WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last GROUP BY ALL
),
quarantined AS (
    SELECT business_date, count(*) AS quarantined FROM ops.quarantine
    WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last GROUP BY ALL
)
SELECT
    day AS business_date,
    coalesce(landed, 0) AS landed,
    coalesce(loaded, 0) AS loaded,
    coalesce(duplicates, 0) AS duplicates,
    coalesce(quarantined, 0) AS quarantined
FROM unnest($days::DATE[]) AS days(day)
LEFT JOIN landed ON landed.business_date = day
LEFT JOIN loaded ON loaded.business_date = day
LEFT JOIN duplicates ON duplicates.business_date = day
LEFT JOIN quarantined ON quarantined.business_date = day
ORDER BY day
