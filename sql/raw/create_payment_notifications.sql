-- GP-API payment outcomes of D365 sales orders, one row per delivered event: what the status_url
-- notification said, or what the poll of GET /transactions?reference=<order> found when a
-- notification was lost (both land the same transaction state under the same event id).
CREATE TABLE IF NOT EXISTS raw.payment_notifications (
    business_date           DATE NOT NULL,
    segment_path            VARCHAR NOT NULL,
    line_number             BIGINT NOT NULL,
    event_id                VARCHAR NOT NULL,
    event_type              VARCHAR,
    received_at             TIMESTAMPTZ NOT NULL,
    transaction_id          VARCHAR NOT NULL,
    time_created            TIMESTAMPTZ NOT NULL,
    time_last_updated       TIMESTAMPTZ,
    status                  VARCHAR NOT NULL,
    type                    VARCHAR NOT NULL,
    amount                  BIGINT NOT NULL,
    currency                VARCHAR NOT NULL,
    order_reference         VARCHAR,
    reference               VARCHAR,
    link_id                 VARCHAR,
    parent_resource_id      VARCHAR,
    result_code             VARCHAR,
    result_message          VARCHAR,
    action_result_code      VARCHAR
);
COMMENT ON TABLE raw.payment_notifications IS 'GP-API transaction states of D365 order payments as landed by the status_url endpoint (event_type payment.notified) and the poll fallback (payment.polled), one row per event id and business day. Redeliveries in ops.duplicate_events, bad lines in ops.quarantine. Money in unsigned integer minor units; no card data kept.';
COMMENT ON COLUMN raw.payment_notifications.business_date IS 'Business day the event was landed under: the local date of time_created in the store''s (else the merchant''s) time zone.';
COMMENT ON COLUMN raw.payment_notifications.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.payment_notifications.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.payment_notifications.event_id IS 'NTF_ + payload.id without TRN_ + _ + status: a notification and a poll of the same state share it, so the second is a duplicate.';
COMMENT ON COLUMN raw.payment_notifications.event_type IS 'payment.notified (status_url) or payment.polled (the poll fallback): the source event.';
COMMENT ON COLUMN raw.payment_notifications.received_at IS 'When it was received and landed (UTC).';
COMMENT ON COLUMN raw.payment_notifications.transaction_id IS 'payload.id: the GP transaction (TRN_…).';
COMMENT ON COLUMN raw.payment_notifications.time_created IS 'payload.time_created (UTC).';
COMMENT ON COLUMN raw.payment_notifications.time_last_updated IS 'payload.time_last_updated (UTC); NULL when not sent.';
COMMENT ON COLUMN raw.payment_notifications.status IS 'payload.status: CAPTURED, PREAUTHORIZED, DECLINED, FAILED, CANCELLED, PENDING, INITIATED, REVERSED, …';
COMMENT ON COLUMN raw.payment_notifications.type IS 'payload.type: SALE or REFUND (SALE when GP leaves it empty, as on INITIATED link transactions).';
COMMENT ON COLUMN raw.payment_notifications.amount IS 'payload.amount: unsigned integer minor units.';
COMMENT ON COLUMN raw.payment_notifications.currency IS 'payload.currency (ISO 4217).';
COMMENT ON COLUMN raw.payment_notifications.order_reference IS 'The D365 sales order number the payment is for: link_data.reference, else order.reference, else reference (the order GP''s WooCommerce plugin reads them in); NULL when none is given.';
COMMENT ON COLUMN raw.payment_notifications.reference IS 'payload.reference: the transaction''s own merchant reference.';
COMMENT ON COLUMN raw.payment_notifications.link_id IS 'link_data.id (LNK_…) when the payment came through a payment link and GP names it.';
COMMENT ON COLUMN raw.payment_notifications.parent_resource_id IS 'payload.parent_resource_id: for a refund, the sale refunded.';
COMMENT ON COLUMN raw.payment_notifications.result_code IS 'payment_method.result ("00" approved).';
COMMENT ON COLUMN raw.payment_notifications.result_message IS 'payment_method.message.';
COMMENT ON COLUMN raw.payment_notifications.action_result_code IS 'action.result_code (SUCCESS, DECLINED).';
