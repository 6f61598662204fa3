-- Each pay run's funding: net pay and tax liabilities against the bank debits that paid them (or a
-- funding finance entered by hand). Replaced per check date.
CREATE TABLE IF NOT EXISTS recon.payroll_funding (
    business_date       DATE NOT NULL,
    run_key             VARCHAR NOT NULL,
    payroll_run_id      VARCHAR NOT NULL,
    legal_entity        VARCHAR,
    currency            VARCHAR,
    component           VARCHAR NOT NULL,
    expected_reference  VARCHAR NOT NULL,
    expected_amount     DECIMAL(18, 2) NOT NULL,
    funded_amount       DECIMAL(18, 2),
    funding_source      VARCHAR,
    match_method        VARCHAR,
    funding_dates       VARCHAR,
    bank_event_ids      VARCHAR,
    difference          DECIMAL(18, 2),
    status              VARCHAR NOT NULL,
    reconciled_at       TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE recon.payroll_funding IS 'Per pay run and component (net pay, taxes): what the run says must be funded against the bank debits that funded it (raw.bank_statement_lines, matched by reference, else by amount near the check date) or finance''s entry (mappings/payroll_funding.csv).';
COMMENT ON COLUMN recon.payroll_funding.business_date IS 'Check date of the run. Source: canonical.payroll_runs(business_date)';
COMMENT ON COLUMN recon.payroll_funding.run_key IS 'Pay run. Source: canonical.payroll_runs(run_key)';
COMMENT ON COLUMN recon.payroll_funding.payroll_run_id IS 'Run id as the register names it. Source: canonical.payroll_runs(payroll_run_id)';
COMMENT ON COLUMN recon.payroll_funding.legal_entity IS 'D365 legal entity. Source: canonical.payroll_runs(legal_entity)';
COMMENT ON COLUMN recon.payroll_funding.currency IS 'Payroll currency. Source: canonical.payroll_runs(currency)';
COMMENT ON COLUMN recon.payroll_funding.component IS 'net_pay (direct deposits and checks) or taxes (employee withholding + employer taxes, remitted by the processor).';
COMMENT ON COLUMN recon.payroll_funding.expected_reference IS 'Bank reference the processor''s debit carries: PAYROLL <run id> NET or PAYROLL <run id> TAX.';
COMMENT ON COLUMN recon.payroll_funding.expected_amount IS 'What must be funded: Σ NET_PAY, or Σ EE_TAX + Σ ER_TAX, of the run. Source: canonical.payroll_runs(net_pay_amount, ee_tax_amount, er_tax_amount)';
COMMENT ON COLUMN recon.payroll_funding.funded_amount IS 'What the bank paid out for it (a positive figure); NULL when nothing was found. Source: raw.bank_statement_lines(amount)';
COMMENT ON COLUMN recon.payroll_funding.funding_source IS 'bank_statement or finance_entry (mappings/payroll_funding.csv); NULL when missing.';
COMMENT ON COLUMN recon.payroll_funding.match_method IS 'reference (the debit names the run), amount (the exact amount within the funding window: 5 days before to 2 days after the check date), finance_entry; NULL when missing.';
COMMENT ON COLUMN recon.payroll_funding.funding_dates IS 'Booking dates of the debits (or the date finance entered). Source: raw.bank_statement_lines(booking_date)';
COMMENT ON COLUMN recon.payroll_funding.bank_event_ids IS 'Landed bank statement lines matched (BS_…). Source: raw.bank_statement_lines(event_id)';
COMMENT ON COLUMN recon.payroll_funding.difference IS 'funded_amount - expected_amount; NULL when missing.';
COMMENT ON COLUMN recon.payroll_funding.status IS 'matched, difference or missing; difference and missing are recon.exceptions (payroll_funding_difference, payroll_funding_missing).';
COMMENT ON COLUMN recon.payroll_funding.reconciled_at IS 'When the funding was last reconciled.';
