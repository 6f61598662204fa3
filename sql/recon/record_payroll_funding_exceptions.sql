-- Turn recon.payroll_funding of the check dates $first..$last into recon.exceptions (kinds
-- payroll_funding_missing, payroll_funding_difference), keeping ids, status and notes across runs
-- the way record_exceptions.sql does: a funding that arrives later (a bank statement dropped
-- after the check date) closes its exception as cleared. $run_id: the Dagster run.
CREATE OR REPLACE TEMP TABLE payroll_funding_detected AS
WITH found AS (
    SELECT 'payroll_funding_' || status AS kind, business_date, currency,
           coalesce(abs(difference), expected_amount) AS amount_at_risk,
           funded_amount AS reported_amount, expected_amount AS computed_amount,
           'run_key=' || run_key || ', component=' || component AS source_keys,
           CASE status
               WHEN 'missing'
                   THEN 'no bank debit ' || expected_reference || ' (nor one of ' || expected_amount
                        || ' ' || coalesce(currency, '') || ' from ' || (business_date - INTERVAL 5 DAY)::DATE
                        || ' to ' || (business_date + INTERVAL 2 DAY)::DATE
                        || ') and no entry in mappings/payroll_funding.csv for the ' || component
                        || ' of pay run ' || payroll_run_id
               ELSE 'the ' || component || ' of pay run ' || payroll_run_id || ' is ' || expected_amount
                    || ' ' || coalesce(currency, '') || '; funded ' || funded_amount || ' ('
                    || funding_source || ' by ' || match_method || ', ' || coalesce(funding_dates, '')
                    || coalesce(', ' || bank_event_ids, '') || '): '
                    || CASE WHEN difference < 0 THEN 'short by ' ELSE 'over by ' END || abs(difference)
           END AS detail
    FROM recon.payroll_funding
    WHERE business_date BETWEEN $first AND $last AND status IN ('missing', 'difference')
)
SELECT 'EXC_' || upper(md5(kind || '|' || source_keys)[1:20]) AS exception_id, f.kind,
       CASE WHEN f.amount_at_risk >= coalesce(tol.alert_threshold, 0) THEN 'high' ELSE 'medium' END AS severity,
       f.business_date, NULL::VARCHAR AS store_id, f.currency, f.amount_at_risk, f.reported_amount,
       f.computed_amount, f.source_keys, f.detail
FROM found AS f
LEFT JOIN ref.recon_tolerances AS tol ON tol.currency = f.currency;

UPDATE recon.exceptions AS e
SET severity = d.severity, amount_at_risk = d.amount_at_risk, reported_amount = d.reported_amount,
    computed_amount = d.computed_amount, detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL, cleared_by_run_id = NULL
FROM payroll_funding_detected AS d
WHERE e.exception_id = d.exception_id;

UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_reason = 'the funding of the run now matches (recon.payroll_funding)',
    cleared_by_run_id = $run_id
WHERE business_date BETWEEN $first AND $last AND (still_detected OR status = 'open')
  AND kind IN ('payroll_funding_missing', 'payroll_funding_difference')
  AND exception_id NOT IN (SELECT exception_id FROM payroll_funding_detected);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, d.kind, d.severity, d.business_date, d.store_id, d.currency,
       d.amount_at_risk, d.reported_amount, d.computed_amount, d.source_keys, d.detail,
       d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM payroll_funding_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), d.severity, 'reconciliation_' || d.kind,
       d.business_date, d.kind || ' (' || d.source_keys || '): ' || d.detail
FROM payroll_funding_detected AS d
WHERE d.severity = 'high'
ON CONFLICT DO NOTHING;

DROP TABLE payroll_funding_detected;
