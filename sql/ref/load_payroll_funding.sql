-- ref.payroll_funding from mappings/payroll_funding.csv ($dir: the mappings folder). Funding of a
-- pay run that finance confirms by hand where no bank statement file is dropped.
CREATE OR REPLACE TABLE ref.payroll_funding AS
SELECT trim(client_id) AS client_id, trim(pay_group) AS pay_group,
       trim(payroll_run_id) AS payroll_run_id, lower(trim(component)) AS component,
       funded_amount, funding_date, note
FROM read_csv($dir || '/payroll_funding.csv', header = true, columns = {
    'client_id': 'VARCHAR', 'pay_group': 'VARCHAR', 'payroll_run_id': 'VARCHAR',
    'component': 'VARCHAR', 'funded_amount': 'DECIMAL(18, 2)', 'funding_date': 'DATE',
    'note': 'VARCHAR'});
COMMENT ON TABLE ref.payroll_funding IS 'mappings/payroll_funding.csv as loaded: funding of a pay run finance entered by hand (from the bank portal, say), used by recon.payroll_funding when no bank statement line matches the run.';
COMMENT ON COLUMN ref.payroll_funding.client_id IS 'Heartland Payroll client id of the run.';
COMMENT ON COLUMN ref.payroll_funding.pay_group IS 'Pay group of the run.';
COMMENT ON COLUMN ref.payroll_funding.payroll_run_id IS 'Run id as the register names it.';
COMMENT ON COLUMN ref.payroll_funding.component IS 'net_pay (direct deposits and checks) or taxes (employee and employer taxes remitted).';
COMMENT ON COLUMN ref.payroll_funding.funded_amount IS 'Amount the bank paid out for the component, a positive figure.';
COMMENT ON COLUMN ref.payroll_funding.funding_date IS 'Day the bank debited it.';
COMMENT ON COLUMN ref.payroll_funding.note IS 'Who entered it and from where.';
