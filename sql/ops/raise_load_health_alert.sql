-- One alert per source entity and business day whose load failed its quarantine-share check,
-- keyed so a re-run of the same bad day does not raise it twice.
-- $source, $entity, $business_date, $message.
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
VALUES (
    md5(concat_ws('|', 'load_quarantine_share', $source, $entity, $business_date)),
    now(), 'high', 'load_quarantine_share', $business_date, $message
)
ON CONFLICT DO NOTHING
