-- Closed settlement batches as Heartland reports them, one row per delivered batch event,
-- with the per-brand breakdown (fees included) kept as a list. Money in minor units.
CREATE TABLE IF NOT EXISTS raw.settlement_batches (
    business_date       DATE NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR,
    received_at         TIMESTAMPTZ NOT NULL,
    batch_id            VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    time_created        TIMESTAMPTZ,
    time_closed         TIMESTAMPTZ,
    merchant_id         VARCHAR NOT NULL,
    merchant_name       VARCHAR,
    site_reference      VARCHAR,
    currency            VARCHAR NOT NULL,
    amount              BIGINT NOT NULL,
    transaction_count   BIGINT NOT NULL,
    sales_count         BIGINT NOT NULL,
    sales_amount        BIGINT NOT NULL,
    refunds_count       BIGINT NOT NULL,
    refunds_amount      BIGINT NOT NULL,
    gratuity_amount     BIGINT NOT NULL,
    brand_breakdown     STRUCT(brand VARCHAR, count BIGINT, amount BIGINT, sales_count BIGINT,
                               sales_amount BIGINT, refunds_count BIGINT, refunds_amount BIGINT,
                               fees_amount BIGINT)[] NOT NULL,
    deposit_id          VARCHAR,
    deposit_date        DATE,
    deposit_status      VARCHAR,
    deposit_amount      BIGINT,
    fees_amount         BIGINT NOT NULL
);
COMMENT ON TABLE raw.settlement_batches IS 'Closed Heartland settlement batches as landed, one row per event id and business day, with the per-brand breakdown (fees included) as a list and the deposit that paid the batch out. Redeliveries are counted in ops.duplicate_events and bad lines kept in ops.quarantine instead. Money in integer minor units.';
COMMENT ON COLUMN raw.settlement_batches.business_date IS 'Business day the batch covers (its segment''s business_date= folder).';
COMMENT ON COLUMN raw.settlement_batches.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.settlement_batches.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.settlement_batches.event_id IS 'Event id, EVT_ + the batch id without BAT_ + _CLOSED, so the webhook and the API pull land a batch under the same id; a later delivery is a duplicate, not a second row.';
COMMENT ON COLUMN raw.settlement_batches.event_type IS 'batch.closed.';
COMMENT ON COLUMN raw.settlement_batches.received_at IS 'When the event was received and landed (UTC).';
COMMENT ON COLUMN raw.settlement_batches.batch_id IS 'payload.id: Heartland batch id (BAT_…), named by the captured transactions in it (raw.payment_transactions.batch_id).';
COMMENT ON COLUMN raw.settlement_batches.status IS 'payload.status: CLOSED.';
COMMENT ON COLUMN raw.settlement_batches.time_created IS 'payload.time_created: when Heartland opened the batch (UTC).';
COMMENT ON COLUMN raw.settlement_batches.time_closed IS 'payload.time_closed: when the batch closed (UTC).';
COMMENT ON COLUMN raw.settlement_batches.merchant_id IS 'payload.merchant_id: the store''s Heartland merchant id (MER_…), mapped to a store by mappings/stores.csv.';
COMMENT ON COLUMN raw.settlement_batches.merchant_name IS 'payload.merchant_name: the store name as Heartland holds it.';
COMMENT ON COLUMN raw.settlement_batches.site_reference IS 'payload.site_reference: the store id (S001).';
COMMENT ON COLUMN raw.settlement_batches.currency IS 'payload.currency: ISO 4217 code of the batch''s amounts.';
COMMENT ON COLUMN raw.settlement_batches.amount IS 'payload.amount: net of the batch, sales_amount - refunds_amount, integer minor units; negative on a day with more refunds than sales.';
COMMENT ON COLUMN raw.settlement_batches.transaction_count IS 'payload.transaction_count: sales_count + refunds_count.';
COMMENT ON COLUMN raw.settlement_batches.sales_count IS 'payload.sales.count: captured SALE transactions in the batch.';
COMMENT ON COLUMN raw.settlement_batches.sales_amount IS 'payload.sales.amount: captured sales, tips included, integer minor units, unsigned.';
COMMENT ON COLUMN raw.settlement_batches.refunds_count IS 'payload.refunds.count: captured REFUND transactions in the batch.';
COMMENT ON COLUMN raw.settlement_batches.refunds_amount IS 'payload.refunds.amount: captured refunds as a positive figure, integer minor units; a negative figure (GP''s deposit convention) is kept as its magnitude.';
COMMENT ON COLUMN raw.settlement_batches.gratuity_amount IS 'payload.gratuity_amount: tips in the batch, integer minor units; 0 when not sent.';
COMMENT ON COLUMN raw.settlement_batches.brand_breakdown IS 'payload.brand_breakdown, one element per card brand: brand, count, amount (net), sales_count, sales_amount, refunds_count, refunds_amount (positive), fees_amount; integer minor units. Per-brand fees are our extension of GP-API. Flattened into canonical.settlement_fees.';
COMMENT ON COLUMN raw.settlement_batches.deposit_id IS 'payload.deposit.id: the deposit (DEP_…) that paid the batch out.';
COMMENT ON COLUMN raw.settlement_batches.deposit_date IS 'payload.deposit.time_created: the date of the deposit.';
COMMENT ON COLUMN raw.settlement_batches.deposit_status IS 'payload.deposit.status: FUNDED once paid out.';
COMMENT ON COLUMN raw.settlement_batches.deposit_amount IS 'payload.deposit.amount: net paid into the bank, amount - fees, integer minor units; may be negative.';
COMMENT ON COLUMN raw.settlement_batches.fees_amount IS 'payload.deposit.fees.amount: processing fees withheld from the deposit, integer minor units; the sum of the brands'' fees_amount when the deposit does not say, 0 when neither does.';
