-- The customer payment journal to send for $day, per journal whose blocking checks passed: each
-- order payment D365 does not hold yet, and a reversal of any posted one that has since gone
-- (a payment voided after posting). Sequence 0 first, then the next one per later difference.
WITH ready AS (
    SELECT journal_key, legal_entity, currency, fx_rate
    FROM gl.journals WHERE business_date = $day AND checks_passed
),
now_payments AS (
    SELECT * FROM gl.customer_payments
    WHERE business_date = $day AND journal_key IN (SELECT journal_key FROM ready)
),
posted AS (
    SELECT journal_key, transaction_id, any_value(sales_order_number) AS sales_order_number,
           any_value(customer_account) AS customer_account, sum(amount) AS amount
    FROM gl.posted_customer_payments WHERE business_date = $day
    GROUP BY ALL
),
sequences AS (
    SELECT journal_key, count(DISTINCT idempotency_key) AS next_sequence
    FROM gl.posted_customer_payments WHERE business_date = $day
    GROUP BY ALL
),
offsets AS (
    SELECT journal_key, any_value(offset_account) AS offset_account
    FROM gl.customer_payments WHERE business_date = $day GROUP BY ALL
)
SELECT coalesce(n.journal_key, p.journal_key) AS journal_key,
       r.legal_entity, r.currency,
       r.fx_rate, coalesce(s.next_sequence, 0) AS sequence,
       coalesce(n.transaction_id, p.transaction_id) AS transaction_id,
       coalesce(n.sales_order_number, p.sales_order_number) AS sales_order_number,
       coalesce(n.customer_account, p.customer_account) AS customer_account,
       coalesce(n.amount, 0) - coalesce(p.amount, 0) AS amount,
       coalesce(n.offset_account, o.offset_account) AS offset_account
FROM now_payments AS n
FULL OUTER JOIN posted AS p USING (journal_key, transaction_id)
JOIN ready AS r ON r.journal_key = coalesce(n.journal_key, p.journal_key)
LEFT JOIN sequences AS s ON s.journal_key = r.journal_key
LEFT JOIN offsets AS o ON o.journal_key = r.journal_key
WHERE coalesce(n.amount, 0) - coalesce(p.amount, 0) <> 0
ORDER BY 1, 6
