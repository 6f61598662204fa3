-- Turn a business rule's failing rows (components/business_rule.py) into recon.exceptions of kind
-- business_rule, keeping ids, status and notes across runs the way record_exceptions.sql does.
-- $rule: the rule's name; $severity, $description: from its YAML; $days, $keys: one element per
-- failing row (its business day, and its key columns as masked text); $first..$last: the days the
-- check ran over; $run_id: the Dagster run. A row that no longer fails is cleared if nobody had
-- decided on it yet.
CREATE OR REPLACE TEMP TABLE rule_detected AS
WITH failing AS (
    SELECT unnest($days) AS business_date, unnest($keys) AS row_keys
)
SELECT 'EXC_' || upper(md5('business_rule|' || source_keys)[1:20]) AS exception_id,
       business_date, source_keys
FROM (
    SELECT DISTINCT business_date,
           'rule=' || $rule || ', ' || row_keys || ', business_date=' || business_date AS source_keys
    FROM failing
);

UPDATE recon.exceptions AS e
SET severity = $severity, detail = 'business rule ' || $rule || ' does not hold: ' || $description,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL, cleared_by_event_id = NULL,
    cleared_by_segment_path = NULL, cleared_by_run_id = NULL
FROM rule_detected AS d
WHERE e.exception_id = d.exception_id;

UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_by_run_id = $run_id,
    cleared_reason = 'the row holds business rule ' || $rule || ' again, or is gone (check of ' || business_date || ')'
WHERE kind = 'business_rule' AND business_date BETWEEN $first AND $last
  AND starts_with(source_keys, 'rule=' || $rule || ', ')
  AND (still_detected OR status = 'open')
  AND exception_id NOT IN (SELECT exception_id FROM rule_detected);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, 'business_rule', $severity, d.business_date, NULL, NULL, NULL, NULL, NULL,
       d.source_keys, 'business rule ' || $rule || ' does not hold: ' || $description,
       d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM rule_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

-- A high-severity rule raises one alert per failing row, once (keyed by the exception).
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), 'high', 'business_rule_' || $rule, d.business_date,
       'business rule ' || $rule || ' does not hold (' || d.source_keys || '): ' || $description
FROM rule_detected AS d
WHERE $severity = 'high'
ON CONFLICT DO NOTHING;

DROP TABLE rule_detected;
