-- Expected net deposit per store, business day and currency, against what Heartland says it paid.
CREATE TABLE IF NOT EXISTS recon.deposits (
    business_date           DATE NOT NULL,
    store_id                VARCHAR,
    currency                VARCHAR NOT NULL,
    gross_sales             DECIMAL(18, 2) NOT NULL,
    refunds                 DECIMAL(18, 2) NOT NULL,
    fees                    DECIMAL(18, 2) NOT NULL,
    adjustments             DECIMAL(18, 2) NOT NULL,
    expected_deposit        DECIMAL(18, 2) NOT NULL,
    reported_deposit        DECIMAL(18, 2),
    deposit_difference      DECIMAL(18, 2),
    deposit_ids             VARCHAR,
    deposit_date            DATE
);
-- Added with deposit exceptions: a warehouse created before them gains the columns.
ALTER TABLE recon.deposits ADD COLUMN IF NOT EXISTS tolerance DECIMAL(18, 2);
ALTER TABLE recon.deposits ADD COLUMN IF NOT EXISTS status VARCHAR;
COMMENT ON TABLE recon.deposits IS 'Per store, day and currency: gross - refunds - fees + adjustments = the deposit to expect in the bank, and the deposit Heartland reported.';
COMMENT ON COLUMN recon.deposits.gross_sales IS 'Captured sales, tips included. Source: canonical.payments(amount)';
COMMENT ON COLUMN recon.deposits.refunds IS 'Captured refunds, as a positive figure. Source: canonical.payments(amount)';
COMMENT ON COLUMN recon.deposits.fees IS 'Processing fees the batches withheld. Source: canonical.settlement_batches(fees_amount)';
COMMENT ON COLUMN recon.deposits.adjustments IS 'Chargebacks, reversals and other adjustments to the deposit; the feed carries none yet, so 0.';
COMMENT ON COLUMN recon.deposits.expected_deposit IS 'gross_sales - refunds - fees + adjustments.';
COMMENT ON COLUMN recon.deposits.reported_deposit IS 'Deposits Heartland reported for the store''s batches of the day. Source: canonical.settlement_batches(deposit_amount)';
COMMENT ON COLUMN recon.deposits.deposit_difference IS 'reported_deposit - expected_deposit.';
COMMENT ON COLUMN recon.deposits.business_date IS 'Business day of the transactions and batches.';
COMMENT ON COLUMN recon.deposits.store_id IS 'Store; NULL for money of a merchant id not in mappings/stores.csv.';
COMMENT ON COLUMN recon.deposits.currency IS 'Currency of every amount on the row: the store''s (mappings/stores.csv), no conversion; money captured in another currency is left out and raised as currency_mismatch.';
COMMENT ON COLUMN recon.deposits.deposit_ids IS 'The deposits (DEP_…) paying out the store''s batches of the day, comma separated; NULL when no batch arrived. Source: canonical.settlement_batches(deposit_id)';
COMMENT ON COLUMN recon.deposits.deposit_date IS 'Date of the latest of those deposits: when the money should be in the bank. Source: canonical.settlement_batches(deposit_date)';
COMMENT ON COLUMN recon.deposits.tolerance IS 'Largest deposit_difference accepted as within tolerance: deposit_absolute + deposit_relative x |reported deposit| (mappings/recon_tolerances.csv).';
COMMENT ON COLUMN recon.deposits.status IS 'matched (no difference), within_tolerance (a difference up to the tolerance, shown in deposit_difference), difference (above it: a deposit_difference exception in recon.exceptions), no_deposit_reported (no batch arrived: the batch reconciliation''s transactions_without_batch says so).';
