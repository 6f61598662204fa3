-- The alerts of $first..$last against the sandbox's truth. One row per pattern with its instances
-- and how many an alert found (an alert finds an instance when their record ids intersect), and
-- one row with pattern NULL: all alerts, those with a record in the truth (any pattern), and of
-- these the ones that found only a fraud-signal defect.
--
-- The truth is the injected patterns ($truth: risk_truth.ndjson, one line per record of an
-- instance) and the sandbox's own defects that are themselves fraud signals ($signals: the lines
-- of ground_truth.ndjson whose kind is in hl_d365_assets.risk.truth.FRAUD_SIGNAL_DEFECTS, as
-- business_date, defect, key), each defect one instance of the pattern `defect:<kind>` whose
-- record is the defect's gateway transaction. A refund the gateway links to a smaller sale (refund_exceeds_sale) is what a
-- refund-larger-than-sale fraud looks like; an alert on it is right, not a false alert. Every
-- other defect (duplicates, quarantined lines, settlement differences) is the reconciliation's,
-- and an alert that finds only such a record is a false alert.
WITH injected AS (
    SELECT business_date, pattern, instance_id, record_id
    FROM read_json($truth, format = 'newline_delimited', columns = {
        'business_date': 'DATE', 'pattern': 'VARCHAR', 'instance_id': 'VARCHAR', 'record_id': 'VARCHAR'})
    WHERE business_date BETWEEN $first AND $last
),
signals AS (
    SELECT business_date, 'defect:' || defect AS pattern, 'defect-' || defect || '-' || key AS instance_id,
           'transaction:' || key AS record_id
    FROM (SELECT unnest($signals::STRUCT(business_date DATE, defect VARCHAR, key VARCHAR)[], recursive := true))
    WHERE business_date BETWEEN $first AND $last
),
truth AS (
    SELECT * FROM injected
    UNION ALL
    SELECT * FROM signals
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
    SELECT t.pattern, count(DISTINCT t.instance_id) AS instances, count(DISTINCT f.instance_id) AS found,
           NULL::BIGINT AS signal_only
    FROM truth AS t
    LEFT JOIN found AS f USING (pattern, instance_id)
    GROUP BY t.pattern
),
true_alerts AS (
    SELECT a.alert_id, bool_or(t.pattern NOT LIKE 'defect:%') AS injected
    FROM alert_records AS a
    JOIN truth AS t USING (record_id)
    GROUP BY a.alert_id
),
overall AS (
    SELECT NULL::VARCHAR AS pattern, count(*) AS instances, count(t.alert_id) AS found,
           count(t.alert_id) FILTER (WHERE NOT t.injected) AS signal_only
    FROM risk.alerts AS a
    LEFT JOIN true_alerts AS t USING (alert_id)
    WHERE a.business_date BETWEEN $first AND $last
)
SELECT * FROM per_pattern
UNION ALL
SELECT * FROM overall
ORDER BY pattern NULLS LAST
