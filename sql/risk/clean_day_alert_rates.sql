-- Per day of $first..$last without any injected record in the truth ($truth): gateway
-- transactions (canonical.payments), alerts, and the alerts that find no record of a
-- fraud-signal defect ($signals: as in evaluate_truth.sql), for the clean-day target
-- (< 1 alert per 10,000).
WITH truth_days AS (
    SELECT DISTINCT business_date
    FROM read_json($truth, format = 'newline_delimited', columns = {
        'business_date': 'DATE', 'pattern': 'VARCHAR', 'instance_id': 'VARCHAR', 'record_id': 'VARCHAR'})
),
signal_records AS (
    SELECT 'transaction:' || key AS record_id
    FROM (SELECT unnest($signals::STRUCT(business_date DATE, defect VARCHAR, key VARCHAR)[], recursive := true))
    WHERE business_date BETWEEN $first AND $last
),
days AS (
    SELECT business_date, count(*) AS transactions
    FROM canonical.payments
    WHERE business_date BETWEEN $first AND $last
    GROUP BY business_date
),
alerts AS (
    SELECT
        a.business_date,
        count(*) AS alerts,
        count(*) FILTER (WHERE NOT EXISTS (
            SELECT 1 FROM signal_records AS s WHERE list_contains(a.record_ids, s.record_id))) AS false_alerts
    FROM risk.alerts AS a
    WHERE a.business_date BETWEEN $first AND $last
    GROUP BY a.business_date
)
SELECT d.business_date, d.transactions, coalesce(a.alerts, 0) AS alerts,
       coalesce(a.false_alerts, 0) AS false_alerts
FROM days AS d
LEFT JOIN alerts AS a USING (business_date)
ANTI JOIN truth_days AS t USING (business_date)
ORDER BY d.business_date
