-- The demo's orders ($orders) from payment to D365: each order's Heartland payment state now, the
-- customer payment line its captured transaction became, and whether that line is in D365.
SELECT s.sales_order_number,
       s.state,
       c.transaction_id AS journal_transaction_id,
       p.transaction_id IS NOT NULL AS posted
FROM canonical.order_payment_states AS s
LEFT JOIN gl.customer_payments AS c USING (sales_order_number)
LEFT JOIN gl.posted_customer_payments AS p ON p.transaction_id = c.transaction_id
WHERE list_contains($orders, s.sales_order_number);
