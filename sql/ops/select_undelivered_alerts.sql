-- The alerts of the run's days not yet delivered to the alert webhook, oldest first.
-- $first, $last: the run's business days. A batch (alerts.pending_batches): $batch rows (NULL:
-- all) after ($after_at, $after_id), the last of the batch before (NULL: from the oldest).
-- alerts.count_pending counts the rows of what precedes the final ORDER BY.
SELECT alert_id, raised_at::VARCHAR AS raised_at, severity, kind,
       business_date::VARCHAR AS business_date, message
FROM ops.alerts
WHERE business_date BETWEEN $first AND $last AND delivered_at IS NULL
  AND ($after_id IS NULL OR (raised_at, alert_id) > ($after_at::TIMESTAMPTZ, $after_id))
ORDER BY raised_at, alert_id
LIMIT $batch;
