-- The payment side into customer_source_records: each card token that paid a Heartland Retail
-- ticket (payment custom.gateway_transaction_id = the gateway transaction), with the customer
-- of the ticket. A token seen with no customer (anonymous tickets) or with several (a shared
-- card) links nobody: seen_with_source_key stays NULL and the record is left out.
INSERT INTO customer_source_records BY NAME
WITH card_tickets AS (
    SELECT p.payment_token, p.card_first6, p.card_last4, t.customer_id, p.time_created
    FROM raw.retail_tickets AS t, unnest(t.payments) AS u(payment)
    JOIN canonical.payments AS p ON p.transaction_id = u.payment.gateway_transaction_id
    WHERE p.payment_token IS NOT NULL
)
SELECT
    'payments' AS source,
    payment_token AS source_key,
    payment_token,
    any_value(card_first6) AS card_first6,
    any_value(card_last4) AS card_last4,
    CASE WHEN count(DISTINCT customer_id) = 1 THEN any_value(customer_id) END AS seen_with_source_key,
    max(time_created) AS updated_at
FROM card_tickets
GROUP BY payment_token;
