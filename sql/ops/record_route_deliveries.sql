-- Each delivery attempt of an alert route on its alerts. $route; $ids, $delivered, $errors: one
-- element per alert, in the same order.
INSERT INTO ops.alert_route_deliveries (route, alert_id, delivered_at, delivery_error)
SELECT $route, alert_id, CASE WHEN delivered THEN now() END, error
FROM (SELECT unnest($ids) AS alert_id, unnest($delivered) AS delivered, unnest($errors) AS error)
ON CONFLICT (route, alert_id) DO UPDATE
SET delivered_at = excluded.delivered_at, delivery_error = excluded.delivery_error;
