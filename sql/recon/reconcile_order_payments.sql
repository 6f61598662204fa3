-- recon.order_payments for $first..$last: for every order with a transition on a day of the
-- window, its position at the end of that day.
DELETE FROM recon.order_payments WHERE business_date BETWEEN $first AND $last;

INSERT INTO recon.order_payments
WITH order_days AS (
    SELECT DISTINCT business_date, legal_entity, sales_order_number,
           coalesce(sales_order_number, source_event_id) AS order_key
    FROM canonical.order_payments
    WHERE business_date BETWEEN $first AND $last
),
history AS (
    SELECT d.business_date AS as_of, o.*
    FROM order_days AS d
    JOIN canonical.order_payments AS o
      ON o.legal_entity IS NOT DISTINCT FROM d.legal_entity
     AND coalesce(o.sales_order_number, o.source_event_id) = d.order_key
     AND o.business_date <= d.business_date
),
per_transaction AS (
    SELECT as_of, legal_entity, sales_order_number, transaction_id, transaction_type,
           arg_max(state, sequence) AS state, arg_max(amount, sequence) AS amount
    FROM history
    WHERE transaction_id IS NOT NULL AND transaction_type IS NOT NULL
    GROUP BY ALL
),
money AS (
    SELECT as_of, legal_entity, sales_order_number,
           coalesce(sum(amount) FILTER (WHERE transaction_type = 'SALE' AND state = 'paid'), 0) AS captured_amount,
           coalesce(sum(amount) FILTER (WHERE transaction_type = 'REFUND' AND state = 'refunded'), 0) AS refunded_amount,
           string_agg(DISTINCT transaction_id, ', ' ORDER BY transaction_id) AS transaction_ids
    FROM per_transaction GROUP BY ALL
),
positions AS (
    SELECT as_of AS business_date, legal_entity, sales_order_number,
           bool_and(order_known) AS order_known,
           arg_max(state, sequence) AS state,
           any_value(currency) AS currency,
           any_value(order_total) AS order_total
    FROM history GROUP BY as_of, legal_entity, sales_order_number,
                          coalesce(sales_order_number, source_event_id)
)
SELECT p.business_date, p.legal_entity, p.sales_order_number, p.order_known, p.state, p.currency,
       p.order_total, coalesce(m.captured_amount, 0), coalesce(m.refunded_amount, 0),
       coalesce(m.captured_amount, 0) + coalesce(m.refunded_amount, 0),
       CASE WHEN p.state = 'paid' AND p.order_known
            THEN coalesce(m.captured_amount, 0) + coalesce(m.refunded_amount, 0) - p.order_total END,
       CASE
           WHEN NOT p.order_known THEN 'unknown_order'
           WHEN p.state <> 'paid' THEN p.state
           WHEN coalesce(m.captured_amount, 0) + coalesce(m.refunded_amount, 0) > p.order_total THEN 'overpaid'
           WHEN coalesce(m.captured_amount, 0) + coalesce(m.refunded_amount, 0) < p.order_total THEN 'underpaid'
           ELSE 'paid'
       END,
       m.transaction_ids
FROM positions AS p
LEFT JOIN money AS m
  ON m.as_of = p.business_date AND m.legal_entity IS NOT DISTINCT FROM p.legal_entity
 AND m.sales_order_number IS NOT DISTINCT FROM p.sales_order_number;
