-- Every D365 sales order whose Heartland payment status and D365 status disagree, since when and
-- for how long. D365 cannot be moved to Invoiced over OData (posting a sales invoice is no OData
-- action: d365-entities-wave2.md §4, UNCONFIRMED), so the alignment "Captured in Heartland ↔
-- Invoiced in D365" is recorded here, on our side, for someone to act on in D365 (docs/orders.md).
CREATE OR REPLACE VIEW recon.order_status_alignment AS
WITH compared AS (
    SELECT s.legal_entity, s.sales_order_number, s.state AS heartland_state,
           s.state_since AS heartland_state_since, s.transaction_id, s.currency, s.order_total,
           s.captured_amount, s.refunded_amount,
           o.SalesOrderStatus AS d365_status, o.SalesOrderProcessingStatus AS d365_processing_status,
           o.pulled_at AS d365_status_seen_at,
           CASE
               WHEN s.state = 'paid' AND o.SalesOrderStatus = 'Canceled' THEN 'canceled_in_d365_but_paid'
               WHEN s.state = 'authorised' AND o.SalesOrderStatus = 'Canceled' THEN 'canceled_in_d365_but_authorised'
               WHEN s.state = 'paid' AND o.SalesOrderStatus <> 'Invoiced' THEN 'paid_not_invoiced'
               WHEN s.state IN ('refunded', 'voided') AND o.SalesOrderStatus = 'Invoiced' THEN 'refunded_but_invoiced'
               WHEN s.state IN ('awaiting_payment', 'declined', 'failed', 'cancelled', 'expired')
                    AND o.SalesOrderStatus = 'Invoiced' THEN 'invoiced_not_paid'
           END AS disagreement
    FROM canonical.order_payment_states AS s
    JOIN raw.d365_sales_orders AS o
      ON lower(o.dataAreaId) = s.legal_entity AND o.SalesOrderNumber = s.sales_order_number
)
SELECT legal_entity, sales_order_number, disagreement, heartland_state, d365_status,
       d365_processing_status, currency, order_total, captured_amount, refunded_amount,
       transaction_id,
       -- D365 keeps no time of its status change; the Heartland side's is the lower bound.
       heartland_state_since AS disagreeing_since,
       now() - heartland_state_since AS disagreeing_for,
       date_diff('minute', heartland_state_since, now()) AS disagreeing_minutes,
       d365_status_seen_at
FROM compared
WHERE disagreement IS NOT NULL;
COMMENT ON VIEW recon.order_status_alignment IS 'D365 sales orders whose Heartland payment state (canonical.order_payment_states) and D365 status (raw.d365_sales_orders) disagree, with since when and for how long: paid but not Invoiced, Canceled in D365 but paid or authorised, Invoiced but not paid, refunded but still Invoiced. Invoicing is not an OData action (UNCONFIRMED), so this is where the alignment is kept (docs/orders.md).';
COMMENT ON COLUMN recon.order_status_alignment.legal_entity IS 'D365 company.';
COMMENT ON COLUMN recon.order_status_alignment.sales_order_number IS 'D365 sales order.';
COMMENT ON COLUMN recon.order_status_alignment.disagreement IS 'paid_not_invoiced, canceled_in_d365_but_paid, canceled_in_d365_but_authorised, refunded_but_invoiced, invoiced_not_paid.';
COMMENT ON COLUMN recon.order_status_alignment.heartland_state IS 'The order''s payment state now (canonical.order_payment_states.state).';
COMMENT ON COLUMN recon.order_status_alignment.d365_status IS 'SalesOrderStatus as last pulled.';
COMMENT ON COLUMN recon.order_status_alignment.d365_processing_status IS 'SalesOrderProcessingStatus as last pulled.';
COMMENT ON COLUMN recon.order_status_alignment.currency IS 'Currency of the amounts.';
COMMENT ON COLUMN recon.order_status_alignment.order_total IS 'D365 OrderTotalAmount.';
COMMENT ON COLUMN recon.order_status_alignment.captured_amount IS 'Captured through Heartland.';
COMMENT ON COLUMN recon.order_status_alignment.refunded_amount IS 'Refunded through Heartland (negative).';
COMMENT ON COLUMN recon.order_status_alignment.transaction_id IS 'GP transaction of the latest payment transition.';
COMMENT ON COLUMN recon.order_status_alignment.disagreeing_since IS 'When the Heartland side reached its state (UTC): D365 keeps no status-change time, so the disagreement is at least this old.';
COMMENT ON COLUMN recon.order_status_alignment.disagreeing_for IS 'How long so far (an INTERVAL).';
COMMENT ON COLUMN recon.order_status_alignment.disagreeing_minutes IS 'How long so far, in whole minutes.';
COMMENT ON COLUMN recon.order_status_alignment.d365_status_seen_at IS 'When the pull that last read the D365 status ran: a status changed since is not seen yet.';
