-- The most frequent quarantine reasons of each business day of $days for one source entity,
-- with one example of what was wrong (card numbers are already masked in reason_detail).
-- $source, $entity, $days, $top.
WITH reasons AS (
    SELECT
        business_date,
        reason_code,
        count(*) AS records,
        min(reason_detail) AS example_detail
    FROM ops.quarantine
    WHERE source = $source AND entity = $entity AND business_date IN (SELECT unnest($days::DATE[]))
    GROUP BY business_date, reason_code
)
SELECT business_date, reason_code, records, example_detail
FROM reasons
QUALIFY row_number() OVER (PARTITION BY business_date ORDER BY records DESC, reason_code) <= $top
ORDER BY business_date, records DESC, reason_code
