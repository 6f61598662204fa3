-- The net pay clearing account per pay run: what the run's journal credited to it against what
-- the bank (or finance's entry) paid out. Zero once the funding matches: the net pay has left.
CREATE OR REPLACE VIEW recon.payroll_clearing AS
WITH credited AS (
    SELECT l.business_date, l.run_key, l.journal_key, l.payroll_run_id, l.currency,
           string_agg(DISTINCT l.main_account, ', ') AS clearing_account,
           -sum(l.amount) AS net_pay_credited
    FROM gl.payroll_journal_lines AS l
    WHERE l.line_key IN (SELECT line_key FROM gl.payroll_journal_line_sources
                         WHERE item_class = 'NET_PAY')
    GROUP BY ALL
),
funded AS (
    SELECT business_date, run_key, funded_amount, status
    FROM recon.payroll_funding
    WHERE component = 'net_pay'
)
SELECT c.business_date, c.run_key, c.payroll_run_id, c.journal_key, c.clearing_account,
       c.currency, c.net_pay_credited, coalesce(f.funded_amount, 0) AS net_pay_funded,
       c.net_pay_credited - coalesce(f.funded_amount, 0) AS clearing_balance,
       CASE WHEN c.net_pay_credited = coalesce(f.funded_amount, 0) THEN 'cleared' ELSE 'open' END AS status
FROM credited AS c
LEFT JOIN funded AS f USING (business_date, run_key);
COMMENT ON VIEW recon.payroll_clearing IS 'Net pay clearing per pay run: credited by the run''s journal (Cr 231500), debited by the funding (the bank debit of the net pay); cleared when the balance is zero.';
COMMENT ON COLUMN recon.payroll_clearing.business_date IS 'Check date. Source: gl.payroll_journal_lines(business_date)';
COMMENT ON COLUMN recon.payroll_clearing.run_key IS 'Pay run. Source: gl.payroll_journal_lines(run_key)';
COMMENT ON COLUMN recon.payroll_clearing.payroll_run_id IS 'Run id. Source: gl.payroll_journal_lines(payroll_run_id)';
COMMENT ON COLUMN recon.payroll_clearing.journal_key IS 'The run''s payroll journal. Source: gl.payroll_journal_lines(journal_key)';
COMMENT ON COLUMN recon.payroll_clearing.clearing_account IS 'Account the net pay is credited to (mappings/gl_payroll_posting_rules.csv, NET_PAY). Source: gl.payroll_journal_lines(main_account)';
COMMENT ON COLUMN recon.payroll_clearing.currency IS 'Payroll currency. Source: gl.payroll_journal_lines(currency)';
COMMENT ON COLUMN recon.payroll_clearing.net_pay_credited IS 'Net pay the journal credits to clearing. Source: gl.payroll_journal_lines(amount)';
COMMENT ON COLUMN recon.payroll_clearing.net_pay_funded IS 'Net pay the bank paid out for the run (0 when none found). Source: recon.payroll_funding(funded_amount)';
COMMENT ON COLUMN recon.payroll_clearing.clearing_balance IS 'credited - funded: what is left in clearing for the run; 0 when funded exactly.';
COMMENT ON COLUMN recon.payroll_clearing.status IS 'cleared (balance 0) or open.';
