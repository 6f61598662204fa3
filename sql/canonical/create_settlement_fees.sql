-- Fees and volumes per batch and card brand, for fee reconciliation and the fee expense lines.
CREATE TABLE IF NOT EXISTS canonical.settlement_fees (
    business_date       DATE NOT NULL,
    batch_id            VARCHAR NOT NULL,
    store_id            VARCHAR,
    card_brand          VARCHAR NOT NULL,
    payment_method_code VARCHAR,
    currency            VARCHAR NOT NULL,
    transaction_count   BIGINT,
    sales_amount        DECIMAL(18, 2),
    refunds_amount      DECIMAL(18, 2),
    net_amount          DECIMAL(18, 2),
    fees_amount         DECIMAL(18, 2),
    base_fees_amount    DECIMAL(18, 2),
    mapping_issue       VARCHAR
);
COMMENT ON TABLE canonical.settlement_fees IS 'Per batch and card brand: volume and fees charged.';
COMMENT ON COLUMN canonical.settlement_fees.business_date IS 'Business day the batch covers. Source: raw.settlement_batches(business_date)';
COMMENT ON COLUMN canonical.settlement_fees.batch_id IS 'Heartland batch id. Source: raw.settlement_batches(batch_id)';
COMMENT ON COLUMN canonical.settlement_fees.store_id IS 'Store owning the batch''s merchant id. Source: raw.settlement_batches(merchant_id)';
COMMENT ON COLUMN canonical.settlement_fees.card_brand IS 'Card brand of this breakdown row. Source: raw.settlement_batches(brand_breakdown)';
COMMENT ON COLUMN canonical.settlement_fees.payment_method_code IS 'D365 payment method of the brand; NULL when unmapped. Source: raw.settlement_batches(brand_breakdown)';
COMMENT ON COLUMN canonical.settlement_fees.currency IS 'Batch currency. Source: raw.settlement_batches(currency)';
COMMENT ON COLUMN canonical.settlement_fees.transaction_count IS 'Transactions of the brand in the batch. Source: raw.settlement_batches(brand_breakdown)';
COMMENT ON COLUMN canonical.settlement_fees.sales_amount IS 'Sales of the brand. Source: raw.settlement_batches(brand_breakdown, currency)';
COMMENT ON COLUMN canonical.settlement_fees.refunds_amount IS 'Refunds of the brand, positive. Source: raw.settlement_batches(brand_breakdown, currency)';
COMMENT ON COLUMN canonical.settlement_fees.net_amount IS 'Sales minus refunds of the brand. Source: raw.settlement_batches(brand_breakdown, currency)';
COMMENT ON COLUMN canonical.settlement_fees.fees_amount IS 'Fees charged on the brand''s volume. Source: raw.settlement_batches(brand_breakdown, currency)';
COMMENT ON COLUMN canonical.settlement_fees.base_fees_amount IS 'fees_amount in base currency. Source: raw.settlement_batches(brand_breakdown, currency, business_date)';
COMMENT ON COLUMN canonical.settlement_fees.mapping_issue IS 'Unmapped brand or a batch-level issue; NULL when clean. Source: raw.settlement_batches(brand_breakdown, merchant_id)';
