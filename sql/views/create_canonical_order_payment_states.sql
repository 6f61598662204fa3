-- Each D365 order's payment as it stands: its latest transition in canonical.order_payments, with
-- what was captured and refunded so far.
CREATE OR REPLACE VIEW canonical.order_payment_states AS
WITH latest_per_transaction AS (
    SELECT legal_entity, sales_order_number, transaction_id, transaction_type,
           arg_max(state, sequence) AS state, arg_max(amount, sequence) AS amount
    FROM canonical.order_payments
    WHERE transaction_id IS NOT NULL AND transaction_type IS NOT NULL
    GROUP BY ALL
),
money AS (
    SELECT legal_entity, sales_order_number,
           coalesce(sum(amount) FILTER (WHERE transaction_type = 'SALE' AND state = 'paid'), 0) AS captured_amount,
           coalesce(sum(amount) FILTER (WHERE transaction_type = 'REFUND' AND state = 'refunded'), 0) AS refunded_amount
    FROM latest_per_transaction GROUP BY ALL
)
SELECT o.legal_entity, o.sales_order_number, o.order_known,
       arg_max(o.state, o.sequence) AS state,
       max(o.event_time) AS state_since,
       arg_max(o.source_event, o.sequence) AS source_event,
       arg_max(o.transaction_id, o.sequence) AS transaction_id,
       any_value(o.currency) AS currency,
       any_value(o.order_total) AS order_total,
       coalesce(any_value(m.captured_amount), 0) AS captured_amount,
       coalesce(any_value(m.refunded_amount), 0) AS refunded_amount,
       min(o.event_time) FILTER (WHERE o.state = 'paid') AS first_paid_at,
       count(*) AS transitions
FROM canonical.order_payments AS o
LEFT JOIN money AS m USING (legal_entity, sales_order_number)
WHERE o.sales_order_number IS NOT NULL
GROUP BY o.legal_entity, o.sales_order_number, o.order_known;
COMMENT ON VIEW canonical.order_payment_states IS 'Each D365 sales order''s Heartland payment as it stands now: the latest transition of canonical.order_payments, and the money captured and refunded so far.';
COMMENT ON COLUMN canonical.order_payment_states.legal_entity IS 'D365 company (NULL for an unknown order).';
COMMENT ON COLUMN canonical.order_payment_states.sales_order_number IS 'D365 sales order.';
COMMENT ON COLUMN canonical.order_payment_states.order_known IS 'False when D365 holds no such order.';
COMMENT ON COLUMN canonical.order_payment_states.state IS 'The latest transition''s state (awaiting_payment, authorised, paid, declined, failed, cancelled, expired, refunded, voided).';
COMMENT ON COLUMN canonical.order_payment_states.state_since IS 'When the order reached that state (UTC).';
COMMENT ON COLUMN canonical.order_payment_states.source_event IS 'What told us: notification, poll, request or gateway.';
COMMENT ON COLUMN canonical.order_payment_states.transaction_id IS 'GP transaction of the latest transition (TRN_…).';
COMMENT ON COLUMN canonical.order_payment_states.currency IS 'Currency of the order and its payments (ISO 4217).';
COMMENT ON COLUMN canonical.order_payment_states.order_total IS 'D365 OrderTotalAmount.';
COMMENT ON COLUMN canonical.order_payment_states.captured_amount IS 'Sales captured (and not voided) for the order.';
COMMENT ON COLUMN canonical.order_payment_states.refunded_amount IS 'Refunds captured, negative.';
COMMENT ON COLUMN canonical.order_payment_states.first_paid_at IS 'When a payment of the order was first captured (UTC).';
COMMENT ON COLUMN canonical.order_payment_states.transitions IS 'Transitions so far.';
