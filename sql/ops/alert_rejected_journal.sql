-- One alert per rejected journal key (raised once, however often it is re-sent).
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
VALUES ($id, now(), 'high', 'd365_rejected', $day, $message)
ON CONFLICT DO NOTHING
