-- Where the landed records of each business day ended up, counted from the tables themselves
-- (not from the loader's own ledger): raw rows, duplicates, quarantine.
-- $first, $last, $days, $source, $entity.
WITH loaded AS (
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
    coalesce(loaded, 0) AS loaded,
    coalesce(duplicates, 0) AS duplicates,
    coalesce(quarantined, 0) AS quarantined
FROM unnest($days::DATE[]) AS days(day)
LEFT JOIN loaded ON loaded.business_date = day
LEFT JOIN duplicates ON duplicates.business_date = day
LEFT JOIN quarantined ON quarantined.business_date = day
ORDER BY day
