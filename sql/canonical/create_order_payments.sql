-- Every transition of each D365 sales order's payment through Heartland, with the event that
-- made it: the request we sent (a link awaiting payment, a stored-card charge refused), the
-- status_url notification, the poll that caught a lost one, the gateway feed's refund, or the
-- link's expiry passing unpaid. The order's state now is its latest transition
-- (canonical.order_payment_states).
CREATE TABLE IF NOT EXISTS canonical.order_payments (
    business_date           DATE NOT NULL,
    legal_entity            VARCHAR,
    sales_order_number      VARCHAR,
    order_known             BOOLEAN NOT NULL,
    state                   VARCHAR NOT NULL,
    gp_status               VARCHAR,
    transaction_type        VARCHAR,
    amount                  DECIMAL(18, 2),
    currency                VARCHAR,
    order_total             DECIMAL(18, 2),
    transaction_id          VARCHAR,
    link_id                 VARCHAR,
    request_id              VARCHAR,
    event_time              TIMESTAMPTZ NOT NULL,
    sequence                BIGINT NOT NULL,
    source_event            VARCHAR NOT NULL,
    source_event_id         VARCHAR NOT NULL,
    source_segment_path     VARCHAR,
    source_line_number      BIGINT,
    mapping_issue           VARCHAR
);
COMMENT ON TABLE canonical.order_payments IS 'Every transition of each D365 sales order''s Heartland payment (shared/reference/gp-api-orders-customers.md §5): awaiting_payment → authorised → paid, or declined / failed / cancelled / expired, then refunded or voided; one row per change, with the event that made it.';
COMMENT ON COLUMN canonical.order_payments.business_date IS 'Business day of the event: the landing day of a notification or poll; the local date (zone of the legal entity''s first store in the currency) of a request or an expiry.';
COMMENT ON COLUMN canonical.order_payments.legal_entity IS 'D365 company of the order (lower case); NULL for a payment of an unknown order.';
COMMENT ON COLUMN canonical.order_payments.sales_order_number IS 'D365 sales order: link_data.reference, order.reference or reference of the notification, or the request''s order. NULL when GP named no order.';
COMMENT ON COLUMN canonical.order_payments.order_known IS 'False when raw.d365_sales_orders holds no such order in that currency: a payment_for_unknown_order exception, never posted.';
COMMENT ON COLUMN canonical.order_payments.state IS 'awaiting_payment (link ACTIVE, transaction INITIATED/PENDING), authorised (PREAUTHORIZED), paid (CAPTURED, BATCHED, FUNDED), declined, failed, cancelled, expired (the link''s expires_at passed with no payment), refunded (a REFUND captured), voided (REVERSED).';
COMMENT ON COLUMN canonical.order_payments.gp_status IS 'GP''s status as received (CAPTURED, …); the request''s status for request transitions; EXPIRED for an expiry.';
COMMENT ON COLUMN canonical.order_payments.transaction_type IS 'SALE or REFUND (NULL for request and expiry transitions).';
COMMENT ON COLUMN canonical.order_payments.amount IS 'Amount of the transaction or request, exact; a refund is negative.';
COMMENT ON COLUMN canonical.order_payments.currency IS 'Currency (ISO 4217).';
COMMENT ON COLUMN canonical.order_payments.order_total IS 'OrderTotalAmount of the D365 order (raw.d365_sales_orders).';
COMMENT ON COLUMN canonical.order_payments.transaction_id IS 'GP transaction (TRN_…).';
COMMENT ON COLUMN canonical.order_payments.link_id IS 'GP payment link (LNK_…): from the request, or link_data.id of the notification.';
COMMENT ON COLUMN canonical.order_payments.request_id IS 'Our payment request (ops.payment_requests) behind a request or expiry transition.';
COMMENT ON COLUMN canonical.order_payments.event_time IS 'When it happened (UTC): time_last_updated else time_created of the transaction; answered_at/sent_at/recorded_at of the request; expires_at of an expiry.';
COMMENT ON COLUMN canonical.order_payments.sequence IS '1, 2, … per order in event order: the latest is the order''s current state.';
COMMENT ON COLUMN canonical.order_payments.source_event IS 'notification (status_url), poll (the poll fallback), request (our payment request; also its expiry) or gateway (the gateway transaction feed: a stored-card charge the request named, or a refund of an order''s sale).';
COMMENT ON COLUMN canonical.order_payments.source_event_id IS 'The landed event id (NTF_…, EVT_…), or the request id.';
COMMENT ON COLUMN canonical.order_payments.source_segment_path IS 'Landing segment of the event; NULL for request transitions.';
COMMENT ON COLUMN canonical.order_payments.source_line_number IS 'Line of the event in its segment.';
COMMENT ON COLUMN canonical.order_payments.mapping_issue IS 'unknown_order: … when the order is not in raw.d365_sales_orders (or GP named none).';
