-- The demo's payment requests of the orders it created ($orders): what Heartland was asked for.
SELECT sales_order_number, kind, status, gp_id, payer_email_masked, amount, currency
FROM ops.payment_requests
WHERE list_contains($orders, sales_order_number);
