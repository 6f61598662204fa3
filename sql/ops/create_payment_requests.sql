-- Payment requests sent to Heartland (GP-API) for D365 sales orders: one row per order, written
-- BEFORE the request leaves, so a crash between sending and recording leaves a 'sent' row the
-- next run resolves by looking the order up in GP (by reference) before sending again
-- (hl_d365_assets/payment_requests/requester.py). The payer's e-mail is never stored in clear.
CREATE TABLE IF NOT EXISTS ops.payment_requests (
    request_id          VARCHAR PRIMARY KEY,
    legal_entity        VARCHAR NOT NULL,
    sales_order_number  VARCHAR NOT NULL,
    kind                VARCHAR NOT NULL,
    amount              DECIMAL(18, 2) NOT NULL,
    currency            VARCHAR NOT NULL,
    customer_account    VARCHAR NOT NULL,
    payer_email_masked  VARCHAR,
    payment_method_id   VARCHAR,
    status              VARCHAR NOT NULL,
    gp_id               VARCHAR,
    link_url            VARCHAR,
    expires_at          TIMESTAMPTZ,
    recorded_at         TIMESTAMPTZ NOT NULL,
    sent_at             TIMESTAMPTZ,
    answered_at         TIMESTAMPTZ,
    attempts            INTEGER NOT NULL,
    last_error          VARCHAR
);
COMMENT ON TABLE ops.payment_requests IS 'GP-API payment requests of confirmed D365 sales orders paid by card: a payment link or a charge on a stored card, one per order, recorded before it is sent; x-gp-idempotency and a look-up by reference make each happen once.';
COMMENT ON COLUMN ops.payment_requests.request_id IS 'Ours: legal entity, order number and kind (usrt-SO-000001-link); also the x-gp-idempotency key every attempt sends, so GP answers a repeat with 40039 instead of acting twice.';
COMMENT ON COLUMN ops.payment_requests.legal_entity IS 'D365 dataAreaId of the order.';
COMMENT ON COLUMN ops.payment_requests.sales_order_number IS 'D365 SalesOrderNumber: the reference of the link or charge in GP (and of the payment it brings).';
COMMENT ON COLUMN ops.payment_requests.kind IS 'link (payment link e-mailed to the customer) or stored_card (charge on the customer''s stored payment method), from mappings/order_payment_methods.csv.';
COMMENT ON COLUMN ops.payment_requests.amount IS 'Order total asked for, in currency (exact decimal).';
COMMENT ON COLUMN ops.payment_requests.currency IS 'Order currency.';
COMMENT ON COLUMN ops.payment_requests.customer_account IS 'D365 invoice customer account of the order.';
COMMENT ON COLUMN ops.payment_requests.payer_email_masked IS 'The e-mail the link went to, masked (a***@e***.com): the clear address comes from the golden customer record at sending time and goes only into the GP request.';
COMMENT ON COLUMN ops.payment_requests.payment_method_id IS 'Stored card: the customer''s GP stored payment method (PMT_ token) charged; NULL for a link.';
COMMENT ON COLUMN ops.payment_requests.status IS 'recorded (not sent yet), sent (leaving or left; outcome not recorded), created (GP made the link or captured/authorised the charge), declined (the charge was declined), failed (GP refused it, or nothing to charge: see last_error), unknown (no answer after it may have reached GP: looked up before any re-send), waiting (GP-API unavailable, or no e-mail yet: sent when it can be).';
COMMENT ON COLUMN ops.payment_requests.gp_id IS 'What GP made: the LNK_ link or the TRN_ transaction.';
COMMENT ON COLUMN ops.payment_requests.link_url IS 'The payment link''s URL (links only).';
COMMENT ON COLUMN ops.payment_requests.expires_at IS 'When the link stops being payable (its expiration_date).';
COMMENT ON COLUMN ops.payment_requests.recorded_at IS 'When the request was recorded, before anything was sent.';
COMMENT ON COLUMN ops.payment_requests.sent_at IS 'When the last attempt was sent (or its look-up started).';
COMMENT ON COLUMN ops.payment_requests.answered_at IS 'When GP''s answer (or the look-up that found the result) was recorded.';
COMMENT ON COLUMN ops.payment_requests.attempts IS 'How many times it was sent; every attempt carries the same x-gp-idempotency key.';
COMMENT ON COLUMN ops.payment_requests.last_error IS 'The last failure, naming the request and GP''s answer; no e-mail, name or card data.';
