-- Each D365 order's Heartland payment against the order, per business day on which something
-- happened to it: what was captured and refunded by the end of that day against OrderTotalAmount.
CREATE TABLE IF NOT EXISTS recon.order_payments (
    business_date           DATE NOT NULL,
    legal_entity            VARCHAR,
    sales_order_number      VARCHAR,
    order_known             BOOLEAN NOT NULL,
    state                   VARCHAR NOT NULL,
    currency                VARCHAR,
    order_total             DECIMAL(18, 2),
    captured_amount         DECIMAL(18, 2) NOT NULL,
    refunded_amount         DECIMAL(18, 2) NOT NULL,
    net_paid_amount         DECIMAL(18, 2) NOT NULL,
    difference              DECIMAL(18, 2),
    status                  VARCHAR NOT NULL,
    transaction_ids         VARCHAR
);
COMMENT ON TABLE recon.order_payments IS 'Per D365 sales order and business day on which its payment changed: state at the end of the day, captured and refunded so far against OrderTotalAmount, and a status (paid, overpaid, underpaid, refunded, declined, failed, expired, awaiting_payment, authorised, unknown_order).';
COMMENT ON COLUMN recon.order_payments.business_date IS 'Business day of the transitions the row follows.';
COMMENT ON COLUMN recon.order_payments.legal_entity IS 'D365 company.';
COMMENT ON COLUMN recon.order_payments.sales_order_number IS 'D365 sales order (NULL when GP named none).';
COMMENT ON COLUMN recon.order_payments.order_known IS 'False when D365 holds no such order.';
COMMENT ON COLUMN recon.order_payments.state IS 'The order''s latest payment state at the end of the day (canonical.order_payments).';
COMMENT ON COLUMN recon.order_payments.currency IS 'Currency of the order and its payments (ISO 4217).';
COMMENT ON COLUMN recon.order_payments.order_total IS 'D365 OrderTotalAmount.';
COMMENT ON COLUMN recon.order_payments.captured_amount IS 'Sales captured for the order by the end of the day (voided ones left out).';
COMMENT ON COLUMN recon.order_payments.refunded_amount IS 'Refunds captured by the end of the day (negative).';
COMMENT ON COLUMN recon.order_payments.net_paid_amount IS 'captured_amount + refunded_amount.';
COMMENT ON COLUMN recon.order_payments.difference IS 'net_paid_amount - order_total when the state is paid: positive overpaid, negative underpaid (a partial payment).';
COMMENT ON COLUMN recon.order_payments.status IS 'paid (exactly the total), overpaid, underpaid, or the state when no payment stands (refunded, declined, failed, cancelled, expired, voided, awaiting_payment, authorised); unknown_order when D365 holds no such order.';
COMMENT ON COLUMN recon.order_payments.transaction_ids IS 'The order''s GP transactions so far, comma-separated.';
