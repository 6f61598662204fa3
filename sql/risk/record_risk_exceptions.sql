-- risk.alerts of the days $first..$last into recon.exceptions (kind risk_<pattern>), keeping
-- ids, status and notes across runs the way record_payroll_funding_exceptions.sql does: a
-- reviewer's fraud / not_fraud / accepted / resolved is never touched; an open alert that no
-- longer fires (a rule changed, a late record) is cleared; high ones raise an ops.alerts row for
-- the alert webhook. $run_id: the Dagster run.
CREATE OR REPLACE TEMP TABLE risk_detected AS
SELECT exception_id, 'risk_' || pattern AS kind, severity, business_date, store_id,
       'alert_id=' || alert_id || ', entity=' || domain || '/' || entity_kind || '/' || entity_id
           AS source_keys,
       'score ' || round(score)::BIGINT || ' (' || severity || ', ' || entity_kind || ' '
           || entity_id || '): ' || reasons
           || ' | records: ' || array_to_string(record_ids[1:10], ', ')
           || CASE WHEN len(record_ids) > 10 THEN ' and ' || (len(record_ids) - 10) || ' more' ELSE '' END
           AS detail
FROM risk.alerts
WHERE business_date BETWEEN $first AND $last;

UPDATE recon.exceptions AS e
SET kind = d.kind, severity = d.severity, source_keys = d.source_keys, detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL, cleared_by_run_id = NULL
FROM risk_detected AS d
WHERE e.exception_id = d.exception_id;

UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_reason = 'its score is now below the alert score (risk.scores)',
    cleared_by_run_id = $run_id
WHERE business_date BETWEEN $first AND $last AND (still_detected OR status = 'open')
  AND kind LIKE 'risk\_%' ESCAPE '\'
  AND exception_id NOT IN (SELECT exception_id FROM risk_detected);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, d.kind, d.severity, d.business_date, d.store_id, NULL, NULL, NULL, NULL,
       d.source_keys, d.detail, d.business_date, d.business_date, now(), now(), true, 'open',
       NULL, NULL, NULL
FROM risk_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), d.severity, d.kind, d.business_date,
       d.kind || ' (' || d.source_keys || '): ' || d.detail
FROM risk_detected AS d
WHERE d.severity = 'high'
ON CONFLICT DO NOTHING;

DROP TABLE risk_detected;
