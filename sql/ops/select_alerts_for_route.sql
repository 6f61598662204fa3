-- The alerts of $first..$last an alert route takes and has not delivered yet, oldest first:
-- kind matching one of $kinds (GLOB patterns, e.g. reconciliation_*), severity one of
-- $severities. $route: the route's name. A batch (alerts.pending_batches): $batch rows (NULL: all)
-- after ($after_at, $after_id), the last of the batch before (NULL: from the oldest).
-- alerts.count_pending counts the rows of what precedes the final ORDER BY.
SELECT a.alert_id, a.raised_at::VARCHAR AS raised_at, a.severity, a.kind,
       a.business_date::VARCHAR AS business_date, a.message
FROM ops.alerts AS a
LEFT JOIN ops.alert_route_deliveries AS d ON d.route = $route AND d.alert_id = a.alert_id
WHERE a.business_date BETWEEN $first AND $last
  AND d.delivered_at IS NULL
  AND list_contains($severities, a.severity)
  AND len(list_filter($kinds, lambda pattern: a.kind GLOB pattern)) > 0
  AND ($after_id IS NULL OR (a.raised_at, a.alert_id) > ($after_at::TIMESTAMPTZ, $after_id))
ORDER BY a.raised_at, a.alert_id
LIMIT $batch;
