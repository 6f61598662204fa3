-- ref.recon_tolerances from mappings/recon_tolerances.csv ($dir: the mappings folder).
-- A reconciled difference within absolute_tolerance + relative_tolerance x |reported figure| is
-- "within tolerance"; one of alert_threshold or more raises an ops.alerts row.
CREATE OR REPLACE TABLE ref.recon_tolerances AS
SELECT upper(currency) AS currency, absolute_tolerance, relative_tolerance, alert_threshold
FROM read_csv($dir || '/recon_tolerances.csv', header = true, columns = {
    'currency': 'VARCHAR', 'absolute_tolerance': 'DECIMAL(18,2)', 'relative_tolerance': 'DECIMAL(9,6)',
    'alert_threshold': 'DECIMAL(18,2)'});
