-- Turn what the D365 read-back of $day found (recon.gl_vs_d365, and journals D365 holds twice
-- under one key, in d365_duplicate_keys) into recon.exceptions, keeping ids, status and notes
-- across runs the way record_exceptions.sql does.
CREATE OR REPLACE TEMP TABLE gl_detected AS
WITH found AS (
    SELECT 'gl_vs_d365_' || CASE status WHEN 'difference' THEN 'difference' ELSE status END AS kind,
           business_date, NULL::VARCHAR AS store_id, currency, abs(difference) AS amount_at_risk,
           d365_amount AS reported_amount, journal_amount AS computed_amount,
           'journal_key=' || journal_key || ', account=' || account_display_value AS source_keys,
           'D365 holds ' || coalesce(CAST(d365_amount AS VARCHAR), 'nothing') || ' on '
           || account_display_value || ' (journals ' || coalesce(d365_journals, 'none')
           || '); the journal has ' || coalesce(CAST(journal_amount AS VARCHAR), 'no such line')
           AS detail
    FROM recon.gl_vs_d365
    WHERE business_date = $day AND status <> 'matched'
    UNION ALL
    SELECT 'gl_vs_d365_duplicate_journal', $day, NULL, NULL, 0, NULL, NULL,
           'idempotency_key=' || idempotency_key,
           'D365 holds ' || journals || ' under one key: ' || numbers
    FROM d365_duplicate_keys
)
SELECT 'EXC_' || upper(md5(kind || '|' || source_keys)[1:20]) AS exception_id, f.kind,
       'high' AS severity, f.business_date, f.store_id, f.currency, f.amount_at_risk,
       f.reported_amount, f.computed_amount, f.source_keys, f.detail
FROM found AS f;

UPDATE recon.exceptions AS e
SET amount_at_risk = d.amount_at_risk, reported_amount = d.reported_amount,
    computed_amount = d.computed_amount, detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL
FROM gl_detected AS d
WHERE e.exception_id = d.exception_id;

-- No longer found: closed as cleared if nobody had decided on it (as in record_exceptions.sql).
UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_reason = 'no longer found by the D365 read-back of ' || $day
WHERE business_date = $day AND (still_detected OR status = 'open') AND kind LIKE 'gl_vs_d365%'
  AND exception_id NOT IN (SELECT exception_id FROM gl_detected);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, d.kind, d.severity, d.business_date, d.store_id, d.currency,
       d.amount_at_risk, d.reported_amount, d.computed_amount, d.source_keys, d.detail,
       d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM gl_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), 'high', d.kind, d.business_date,
       d.kind || ' (' || d.source_keys || '): ' || d.detail
FROM gl_detected AS d
ON CONFLICT DO NOTHING;

DROP TABLE gl_detected;
