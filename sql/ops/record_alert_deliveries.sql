-- Each delivery attempt's outcome on its alert: delivered now, or the error that kept it (the
-- next run retries it). $ids, $delivered, $errors: one element per alert, in the same order.
UPDATE ops.alerts AS a
SET delivered_at = CASE WHEN d.delivered THEN now() END,
    delivery_error = d.error
FROM (SELECT unnest($ids) AS alert_id, unnest($delivered) AS delivered,
             unnest($errors) AS error) AS d
WHERE a.alert_id = d.alert_id;
