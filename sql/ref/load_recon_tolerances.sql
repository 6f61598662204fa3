-- ref.recon_tolerances from mappings/recon_tolerances.csv ($dir: the mappings folder), per
-- currency and per kind of total: a reconciled difference within absolute + relative x |reported
-- figure| of its kind is "within tolerance" (a status of its own, never "matched"); an exception of
-- alert_threshold or more raises an ops.alerts row. absolute_tolerance and relative_tolerance,
-- without a prefix, are the amounts' (sales, refunds, net): the names the ledger's checks read.
CREATE OR REPLACE TABLE ref.recon_tolerances AS
SELECT upper(currency) AS currency, absolute_tolerance, relative_tolerance,
       fees_absolute_tolerance, fees_relative_tolerance,
       deposit_absolute_tolerance, deposit_relative_tolerance,
       count_absolute_tolerance, count_relative_tolerance, alert_threshold
FROM read_csv($dir || '/recon_tolerances.csv', header = true, columns = {
    'currency': 'VARCHAR', 'absolute_tolerance': 'DECIMAL(18,2)', 'relative_tolerance': 'DECIMAL(9,6)',
    'fees_absolute_tolerance': 'DECIMAL(18,2)', 'fees_relative_tolerance': 'DECIMAL(9,6)',
    'deposit_absolute_tolerance': 'DECIMAL(18,2)', 'deposit_relative_tolerance': 'DECIMAL(9,6)',
    'count_absolute_tolerance': 'BIGINT', 'count_relative_tolerance': 'DECIMAL(9,6)',
    'alert_threshold': 'DECIMAL(18,2)'});
COMMENT ON TABLE ref.recon_tolerances IS 'mappings/recon_tolerances.csv as loaded, per currency: how large a reconciled difference of each kind of total (amounts, fees, deposit, count) may be and still be within tolerance, and from what amount an exception is high severity and raises an alert.';
COMMENT ON COLUMN ref.recon_tolerances.currency IS 'Currency the tolerances apply to, upper case.';
COMMENT ON COLUMN ref.recon_tolerances.absolute_tolerance IS 'Fixed part of the tolerance on amounts (a batch''s sales, refunds and net), in the currency (0.05).';
COMMENT ON COLUMN ref.recon_tolerances.relative_tolerance IS 'Proportional part of the tolerance on amounts, a fraction of the reported net (0.0001 = 0.01 %: 2.30 on a 23,000 batch).';
COMMENT ON COLUMN ref.recon_tolerances.fees_absolute_tolerance IS 'Fixed part of the tolerance on a batch''s fee total against the sum of its per-brand fees, in the currency (0.01).';
COMMENT ON COLUMN ref.recon_tolerances.fees_relative_tolerance IS 'Proportional part of the tolerance on fees, a fraction of the reported fee total.';
COMMENT ON COLUMN ref.recon_tolerances.deposit_absolute_tolerance IS 'Fixed part of the tolerance on deposits (a batch''s, and each store''s day in recon.deposits), in the currency.';
COMMENT ON COLUMN ref.recon_tolerances.deposit_relative_tolerance IS 'Proportional part of the tolerance on deposits, a fraction of the reported deposit.';
COMMENT ON COLUMN ref.recon_tolerances.count_absolute_tolerance IS 'Transactions a batch''s reported count may differ from those counted and still be within tolerance (0: every one counts).';
COMMENT ON COLUMN ref.recon_tolerances.count_relative_tolerance IS 'Proportional part of the count tolerance, a fraction of the reported count.';
COMMENT ON COLUMN ref.recon_tolerances.alert_threshold IS 'An exception whose amount_at_risk reaches this, in the currency, is high severity and raises one ops.alerts row.';
