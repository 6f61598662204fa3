-- ref.recon_tolerances from mappings/recon_tolerances.csv ($dir: the mappings folder).
-- A reconciled difference within absolute_tolerance + relative_tolerance x |reported figure| is
-- "within tolerance"; one of alert_threshold or more raises an ops.alerts row.
CREATE OR REPLACE TABLE ref.recon_tolerances AS
SELECT upper(currency) AS currency, absolute_tolerance, relative_tolerance, alert_threshold
FROM read_csv($dir || '/recon_tolerances.csv', header = true, columns = {
    'currency': 'VARCHAR', 'absolute_tolerance': 'DECIMAL(18,2)', 'relative_tolerance': 'DECIMAL(9,6)',
    'alert_threshold': 'DECIMAL(18,2)'});
COMMENT ON TABLE ref.recon_tolerances IS 'mappings/recon_tolerances.csv as loaded, per currency: how large a reconciled difference may be and still be within tolerance, and from what amount an exception is high severity and raises an alert.';
COMMENT ON COLUMN ref.recon_tolerances.currency IS 'Currency the tolerances apply to, upper case.';
COMMENT ON COLUMN ref.recon_tolerances.absolute_tolerance IS 'Fixed part of the tolerance, in the currency (0.05).';
COMMENT ON COLUMN ref.recon_tolerances.relative_tolerance IS 'Proportional part of the tolerance, a fraction of the reported figure (0.0001 = 0.01 %).';
COMMENT ON COLUMN ref.recon_tolerances.alert_threshold IS 'An exception whose amount_at_risk reaches this, in the currency, is high severity and raises one ops.alerts row.';
