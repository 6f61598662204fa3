-- The payments of a customer payment journal D365 now holds, one row each (executed per
-- payment): what later runs subtract so each payment is credited once.
INSERT INTO gl.posted_customer_payments (
    idempotency_key, business_date, journal_key, transaction_id, sales_order_number,
    customer_account, amount, d365_journal_batch_number, d365_line_number, posted_at
)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())
