-- The alerts of the run's days not yet delivered to the alert webhook, oldest first.
-- $first, $last: the run's business days.
SELECT alert_id, raised_at::VARCHAR AS raised_at, severity, kind,
       business_date::VARCHAR AS business_date, message
FROM ops.alerts
WHERE business_date BETWEEN $first AND $last AND delivered_at IS NULL
ORDER BY raised_at, alert_id;
