-- Per settlement batch: what Heartland reported against the sum of the canonical transactions
-- that name the batch. Replaced per business day.
CREATE TABLE IF NOT EXISTS recon.settlement_vs_transactions (
    business_date               DATE NOT NULL,
    batch_id                    VARCHAR,
    store_id                    VARCHAR,
    currency                    VARCHAR NOT NULL,
    status                      VARCHAR NOT NULL,
    reported_sales_count        BIGINT,
    reported_sales_amount       DECIMAL(18, 2),
    reported_refunds_count      BIGINT,
    reported_refunds_amount     DECIMAL(18, 2),
    reported_net_amount         DECIMAL(18, 2),
    reported_fees_amount        DECIMAL(18, 2),
    reported_deposit_amount     DECIMAL(18, 2),
    transactions_sales_count    BIGINT NOT NULL,
    transactions_sales_amount   DECIMAL(18, 2) NOT NULL,
    transactions_refunds_count  BIGINT NOT NULL,
    transactions_refunds_amount DECIMAL(18, 2) NOT NULL,
    transactions_net_amount     DECIMAL(18, 2) NOT NULL,
    count_difference            BIGINT NOT NULL,
    sales_difference            DECIMAL(18, 2) NOT NULL,
    refunds_difference          DECIMAL(18, 2) NOT NULL,
    net_difference              DECIMAL(18, 2) NOT NULL,
    deposit_difference          DECIMAL(18, 2) NOT NULL,
    tolerance                   DECIMAL(18, 2) NOT NULL
);
-- Added with per-kind tolerances: a warehouse created before them gains the columns.
ALTER TABLE recon.settlement_vs_transactions ADD COLUMN IF NOT EXISTS brand_fees_amount DECIMAL(18, 2);
ALTER TABLE recon.settlement_vs_transactions ADD COLUMN IF NOT EXISTS fees_difference DECIMAL(18, 2);
ALTER TABLE recon.settlement_vs_transactions ADD COLUMN IF NOT EXISTS fees_tolerance DECIMAL(18, 2);
ALTER TABLE recon.settlement_vs_transactions ADD COLUMN IF NOT EXISTS deposit_tolerance DECIMAL(18, 2);
ALTER TABLE recon.settlement_vs_transactions ADD COLUMN IF NOT EXISTS count_tolerance BIGINT;
COMMENT ON TABLE recon.settlement_vs_transactions IS 'Each settlement batch against the canonical transactions in it: counts, sales, refunds, net and deposit, with the differences and a status.';
COMMENT ON COLUMN recon.settlement_vs_transactions.business_date IS 'Business day of the batch (or of the transactions, for transactions without a batch). Source: canonical.settlement_batches(business_date)';
COMMENT ON COLUMN recon.settlement_vs_transactions.batch_id IS 'Heartland batch id; NULL for captured transactions that name no batch. Source: canonical.settlement_batches(batch_id)';
COMMENT ON COLUMN recon.settlement_vs_transactions.status IS 'matched (no difference at all), within_tolerance (some difference, each within its kind''s tolerance: the differences show how much), discrepancy, batch_without_transactions, transactions_without_batch.';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_refunds_amount IS 'Refunds the batch reports, as a positive figure. Source: canonical.settlement_batches(refunds_amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.transactions_sales_amount IS 'Sum of captured SALE transactions naming the batch, tips included. Source: canonical.payments(amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.transactions_refunds_amount IS 'Sum of captured REFUND transactions naming the batch, as a positive figure. Source: canonical.payments(amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.count_difference IS 'Reported sales + refunds count minus the transactions counted.';
COMMENT ON COLUMN recon.settlement_vs_transactions.net_difference IS 'Reported net (sales - refunds) minus the transactions'' net.';
COMMENT ON COLUMN recon.settlement_vs_transactions.deposit_difference IS 'Reported deposit minus the expected one: transactions'' net - reported fees.';
COMMENT ON COLUMN recon.settlement_vs_transactions.tolerance IS 'Largest sales, refunds or net difference accepted as within tolerance: absolute + relative x |reported net| (mappings/recon_tolerances.csv).';
COMMENT ON COLUMN recon.settlement_vs_transactions.brand_fees_amount IS 'Sum of the fees the batch reports per card brand; NULL when no batch arrived. Source: canonical.settlement_fees(fees_amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.fees_difference IS 'Reported fee total minus the sum of the per-brand fees (0 when either is missing).';
COMMENT ON COLUMN recon.settlement_vs_transactions.fees_tolerance IS 'Largest fees difference accepted as within tolerance: fees_absolute + fees_relative x |reported fees| (mappings/recon_tolerances.csv).';
COMMENT ON COLUMN recon.settlement_vs_transactions.deposit_tolerance IS 'Largest deposit difference accepted as within tolerance: deposit_absolute + deposit_relative x |reported deposit| (mappings/recon_tolerances.csv).';
COMMENT ON COLUMN recon.settlement_vs_transactions.count_tolerance IS 'Largest count difference accepted as within tolerance: count_absolute + count_relative x reported count, rounded down (mappings/recon_tolerances.csv).';
COMMENT ON COLUMN recon.settlement_vs_transactions.store_id IS 'Store of the batch (or of the transactions, when there is no batch); NULL when the merchant id is not in mappings/stores.csv.';
COMMENT ON COLUMN recon.settlement_vs_transactions.currency IS 'Currency of every amount on the row.';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_sales_count IS 'Captured sales the batch reports; NULL when no batch arrived. Source: canonical.settlement_batches(sales_count)';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_sales_amount IS 'Sales the batch reports, tips included. Source: canonical.settlement_batches(sales_amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_refunds_count IS 'Refunds the batch reports. Source: canonical.settlement_batches(refunds_count)';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_net_amount IS 'Net the batch reports: sales - refunds. Source: canonical.settlement_batches(net_amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_fees_amount IS 'Processing fees the batch withheld. Source: canonical.settlement_batches(fees_amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.reported_deposit_amount IS 'Deposit the batch reports: net - fees. Source: canonical.settlement_batches(deposit_amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.transactions_sales_count IS 'Captured SALE transactions naming the batch. Source: canonical.payments(transaction_id)';
COMMENT ON COLUMN recon.settlement_vs_transactions.transactions_refunds_count IS 'Captured REFUND transactions naming the batch. Source: canonical.payments(transaction_id)';
COMMENT ON COLUMN recon.settlement_vs_transactions.transactions_net_amount IS 'transactions_sales_amount - transactions_refunds_amount. Source: canonical.payments(amount)';
COMMENT ON COLUMN recon.settlement_vs_transactions.sales_difference IS 'Reported sales minus the transactions'' sales (reported counts as 0 when there is no batch).';
COMMENT ON COLUMN recon.settlement_vs_transactions.refunds_difference IS 'Reported refunds minus the transactions'' refunds, both positive figures.';
