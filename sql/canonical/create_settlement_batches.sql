-- One row per settlement batch: what Heartland says it settled, paid out and charged.
CREATE TABLE IF NOT EXISTS canonical.settlement_batches (
    business_date       DATE NOT NULL,
    batch_id            VARCHAR NOT NULL,
    store_id            VARCHAR,
    legal_entity        VARCHAR,
    merchant_id         VARCHAR NOT NULL,
    batch_status        VARCHAR NOT NULL,
    currency            VARCHAR NOT NULL,
    transaction_count   BIGINT NOT NULL,
    sales_count         BIGINT NOT NULL,
    sales_amount        DECIMAL(18, 2),
    refunds_count       BIGINT NOT NULL,
    refunds_amount      DECIMAL(18, 2),
    net_amount          DECIMAL(18, 2),
    tip_amount          DECIMAL(18, 2),
    fees_amount         DECIMAL(18, 2),
    deposit_id          VARCHAR,
    deposit_date        DATE,
    deposit_amount      DECIMAL(18, 2),
    base_currency       VARCHAR,
    fx_rate             DECIMAL(18, 8),
    base_net_amount     DECIMAL(18, 2),
    base_fees_amount    DECIMAL(18, 2),
    base_deposit_amount DECIMAL(18, 2),
    time_closed         TIMESTAMPTZ,
    mapping_issue       VARCHAR,
    source_event_id     VARCHAR NOT NULL,
    source_segment_path VARCHAR NOT NULL,
    source_line_number  BIGINT NOT NULL
);
COMMENT ON TABLE canonical.settlement_batches IS 'Closed settlement batches with their deposit and fees, one row per batch.';
COMMENT ON COLUMN canonical.settlement_batches.business_date IS 'Business day the batch covers. Source: raw.settlement_batches(business_date)';
COMMENT ON COLUMN canonical.settlement_batches.batch_id IS 'Heartland batch id (BAT_…). Source: raw.settlement_batches(batch_id)';
COMMENT ON COLUMN canonical.settlement_batches.store_id IS 'Store named by site_reference, which must be a store of the merchant id in mappings/stores.csv; without a site_reference, the merchant id''s only store. NULL (mapping_issue unknown_store) when neither holds: never another store of the same merchant. Source: raw.settlement_batches(site_reference, merchant_id)';
COMMENT ON COLUMN canonical.settlement_batches.legal_entity IS 'D365 legal entity of the store. Source: raw.settlement_batches(merchant_id)';
COMMENT ON COLUMN canonical.settlement_batches.merchant_id IS 'Heartland merchant id. Source: raw.settlement_batches(merchant_id)';
COMMENT ON COLUMN canonical.settlement_batches.batch_status IS 'Heartland batch status (CLOSED). Source: raw.settlement_batches(status)';
COMMENT ON COLUMN canonical.settlement_batches.currency IS 'Batch currency. Source: raw.settlement_batches(currency)';
COMMENT ON COLUMN canonical.settlement_batches.transaction_count IS 'Transactions Heartland counted in the batch. Source: raw.settlement_batches(transaction_count)';
COMMENT ON COLUMN canonical.settlement_batches.sales_count IS 'Captured sales in the batch. Source: raw.settlement_batches(sales_count)';
COMMENT ON COLUMN canonical.settlement_batches.sales_amount IS 'Captured sales, tips included. Source: raw.settlement_batches(sales_amount, currency)';
COMMENT ON COLUMN canonical.settlement_batches.refunds_count IS 'Refunds in the batch. Source: raw.settlement_batches(refunds_count)';
COMMENT ON COLUMN canonical.settlement_batches.refunds_amount IS 'Refunds, as a positive figure. Source: raw.settlement_batches(refunds_amount, currency)';
COMMENT ON COLUMN canonical.settlement_batches.net_amount IS 'Batch amount as reported: sales minus refunds. Source: raw.settlement_batches(amount, currency)';
COMMENT ON COLUMN canonical.settlement_batches.tip_amount IS 'Tips in the batch. Source: raw.settlement_batches(gratuity_amount, currency)';
COMMENT ON COLUMN canonical.settlement_batches.fees_amount IS 'Processing fees withheld from the deposit. Source: raw.settlement_batches(fees_amount, currency)';
COMMENT ON COLUMN canonical.settlement_batches.deposit_id IS 'Deposit (DEP_…) paying out the batch. Source: raw.settlement_batches(deposit_id)';
COMMENT ON COLUMN canonical.settlement_batches.deposit_date IS 'Date of the deposit. Source: raw.settlement_batches(deposit_date)';
COMMENT ON COLUMN canonical.settlement_batches.deposit_amount IS 'Net deposit: net_amount minus fees, as reported. Source: raw.settlement_batches(deposit_amount, currency)';
COMMENT ON COLUMN canonical.settlement_batches.base_currency IS 'Accounting currency of the legal entity. Source: raw.settlement_batches(merchant_id)';
COMMENT ON COLUMN canonical.settlement_batches.fx_rate IS 'Latest rate on or before business_date. Source: raw.settlement_batches(currency, business_date)';
COMMENT ON COLUMN canonical.settlement_batches.base_net_amount IS 'net_amount in base currency. Source: raw.settlement_batches(amount, currency, business_date)';
COMMENT ON COLUMN canonical.settlement_batches.base_fees_amount IS 'fees_amount in base currency. Source: raw.settlement_batches(fees_amount, currency, business_date)';
COMMENT ON COLUMN canonical.settlement_batches.base_deposit_amount IS 'deposit_amount in base currency. Source: raw.settlement_batches(deposit_amount, currency, business_date)';
COMMENT ON COLUMN canonical.settlement_batches.time_closed IS 'When the batch closed (UTC). Source: raw.settlement_batches(time_closed)';
COMMENT ON COLUMN canonical.settlement_batches.mapping_issue IS 'Why the row cannot be trusted for the ledger; NULL when clean. Source: raw.settlement_batches(merchant_id, currency)';
COMMENT ON COLUMN canonical.settlement_batches.source_event_id IS 'Event that carried the batch. Source: raw.settlement_batches(event_id)';
COMMENT ON COLUMN canonical.settlement_batches.source_segment_path IS 'Landing segment of that event. Source: raw.settlement_batches(segment_path)';
COMMENT ON COLUMN canonical.settlement_batches.source_line_number IS 'Line of that event in its segment. Source: raw.settlement_batches(line_number)';

