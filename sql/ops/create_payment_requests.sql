-- Each GP-API payment request made for a D365 sales order (a payment link or a charge against a
-- stored card), recorded before it leaves and updated with GP's answer.
CREATE TABLE IF NOT EXISTS ops.payment_requests (
    request_id              VARCHAR PRIMARY KEY,
    legal_entity            VARCHAR,
    sales_order_number      VARCHAR,
    kind                    VARCHAR,
    amount                  DECIMAL(18, 2),
    currency                VARCHAR,
    customer_account        VARCHAR,
    payer_email_masked      VARCHAR,
    payment_method_id       VARCHAR,
    status                  VARCHAR,
    gp_id                   VARCHAR,
    link_url                VARCHAR,
    expires_at              TIMESTAMPTZ,
    recorded_at             TIMESTAMPTZ,
    sent_at                 TIMESTAMPTZ,
    answered_at             TIMESTAMPTZ,
    attempts                INTEGER,
    last_error              VARCHAR
);
COMMENT ON TABLE ops.payment_requests IS 'GP-API payment requests for D365 sales orders: one row per request, recorded before it is sent.';
COMMENT ON COLUMN ops.payment_requests.request_id IS 'Our id of the request (also its x-gp-idempotency key).';
COMMENT ON COLUMN ops.payment_requests.legal_entity IS 'D365 company of the order.';
COMMENT ON COLUMN ops.payment_requests.sales_order_number IS 'D365 sales order to be paid.';
COMMENT ON COLUMN ops.payment_requests.kind IS 'link (a payment link sent to the customer) or stored_card (a charge against a PMT_ token).';
COMMENT ON COLUMN ops.payment_requests.amount IS 'Amount asked, in currency.';
COMMENT ON COLUMN ops.payment_requests.currency IS 'Currency asked.';
COMMENT ON COLUMN ops.payment_requests.customer_account IS 'D365 customer account of the order.';
COMMENT ON COLUMN ops.payment_requests.payer_email_masked IS 'Where the link went, masked.';
COMMENT ON COLUMN ops.payment_requests.payment_method_id IS 'Stored payment method charged (PMT_…); never a card number.';
COMMENT ON COLUMN ops.payment_requests.status IS 'recorded, sent, created, declined, failed, unknown or waiting.';
COMMENT ON COLUMN ops.payment_requests.gp_id IS 'What GP created: the link (LNK_…) or the charge (TRN_…).';
COMMENT ON COLUMN ops.payment_requests.link_url IS 'The payment link''s URL.';
COMMENT ON COLUMN ops.payment_requests.expires_at IS 'When the link expires (UTC).';
COMMENT ON COLUMN ops.payment_requests.recorded_at IS 'When we recorded the request, before sending it.';
COMMENT ON COLUMN ops.payment_requests.sent_at IS 'When it was last sent.';
COMMENT ON COLUMN ops.payment_requests.answered_at IS 'When GP answered.';
COMMENT ON COLUMN ops.payment_requests.attempts IS 'Sends so far.';
COMMENT ON COLUMN ops.payment_requests.last_error IS 'The last failure, without card or personal data.';
