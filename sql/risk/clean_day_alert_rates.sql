-- Per day of $first..$last without any injected record in the truth ($truth): alerts and gateway
-- transactions (canonical.payments), for the clean-day target (< 1 alert per 10,000).
WITH truth_days AS (
    SELECT DISTINCT business_date
    FROM read_json($truth, format = 'newline_delimited', columns = {
        'business_date': 'DATE', 'pattern': 'VARCHAR', 'instance_id': 'VARCHAR', 'record_id': 'VARCHAR'})
),
days AS (
    SELECT business_date, count(*) AS transactions
    FROM canonical.payments
    WHERE business_date BETWEEN $first AND $last
    GROUP BY business_date
)
SELECT d.business_date, d.transactions,
       (SELECT count(*) FROM risk.alerts AS a WHERE a.business_date = d.business_date) AS alerts
FROM days AS d
ANTI JOIN truth_days AS t USING (business_date)
ORDER BY d.business_date
