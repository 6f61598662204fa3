-- How each business day of $days loaded for one source entity, beside what recent days loaded:
-- the loader's ledger (ops.partition_loads) for the day, and the median of the rows loaded on
-- the $baseline_days days nearest to it (before or after, the day itself excluded) that loaded
-- anything, so a backfill of days the source does not hold still has an expectation.
-- $source, $entity, $days, $baseline_days.
WITH checked_days AS (
    SELECT unnest($days::DATE[]) AS business_date
),
entity_loads AS (
    SELECT business_date, landed, loaded, duplicates, quarantined
    FROM ops.partition_loads
    WHERE source = $source AND entity = $entity
),
nearest_loaded_days AS (
    SELECT
        d.business_date,
        l.loaded,
        row_number() OVER (
            PARTITION BY d.business_date
            ORDER BY abs(l.business_date - d.business_date), l.business_date DESC
        ) AS nearness
    FROM checked_days AS d
    JOIN entity_loads AS l ON l.business_date <> d.business_date AND l.loaded > 0
),
expected_volume AS (
    SELECT business_date, quantile_disc(loaded, 0.5) AS expected_loaded, count(*) AS baseline_days
    FROM nearest_loaded_days
    WHERE nearness <= $baseline_days
    GROUP BY business_date
)
SELECT
    d.business_date,
    coalesce(l.landed, 0) AS landed,
    coalesce(l.loaded, 0) AS loaded,
    coalesce(l.duplicates, 0) AS duplicates,
    coalesce(l.quarantined, 0) AS quarantined,
    e.expected_loaded,
    coalesce(e.baseline_days, 0) AS baseline_days
FROM checked_days AS d
LEFT JOIN entity_loads AS l USING (business_date)
LEFT JOIN expected_volume AS e USING (business_date)
ORDER BY d.business_date
