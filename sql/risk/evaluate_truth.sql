-- The alerts of $first..$last against the sandbox's injected truth ($truth: risk_truth.ndjson,
-- one line per record of an injected instance). One row per pattern with its instances and how
-- many an alert found (an alert finds an instance when their record ids intersect), and one row
-- with pattern NULL: all alerts and those with a record in the truth (any pattern).
WITH truth AS (
    SELECT business_date, pattern, instance_id, record_id
    FROM read_json($truth, format = 'newline_delimited', columns = {
        'business_date': 'DATE', 'pattern': 'VARCHAR', 'instance_id': 'VARCHAR', 'record_id': 'VARCHAR'})
    WHERE business_date BETWEEN $first AND $last
),
alert_records AS (
    SELECT alert_id, unnest(record_ids) AS record_id
    FROM risk.alerts
    WHERE business_date BETWEEN $first AND $last
),
found AS (
    SELECT DISTINCT t.pattern, t.instance_id
    FROM truth AS t
    JOIN alert_records AS a USING (record_id)
),
per_pattern AS (
    SELECT t.pattern, count(DISTINCT t.instance_id) AS instances, count(DISTINCT f.instance_id) AS found
    FROM truth AS t
    LEFT JOIN found AS f USING (pattern, instance_id)
    GROUP BY t.pattern
),
overall AS (
    SELECT NULL::VARCHAR AS pattern, count(*) AS instances,
           count(*) FILTER (WHERE alert_id IN (
               SELECT a.alert_id FROM alert_records AS a JOIN truth AS t USING (record_id))) AS found
    FROM risk.alerts
    WHERE business_date BETWEEN $first AND $last
)
SELECT * FROM per_pattern
UNION ALL
SELECT * FROM overall
ORDER BY pattern NULLS LAST
