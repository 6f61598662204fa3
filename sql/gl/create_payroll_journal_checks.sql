-- The outcome of the payroll journals' blocking checks per journal, as last evaluated. The poster
-- re-evaluates and reads them: a payroll journal posts only when all of its checks passed.
CREATE TABLE IF NOT EXISTS gl.payroll_journal_checks (
    business_date   DATE NOT NULL,
    journal_key     VARCHAR NOT NULL,
    check_name      VARCHAR NOT NULL,
    passed          BOOLEAN NOT NULL,
    detail          VARCHAR NOT NULL,
    evaluated_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE gl.payroll_journal_checks IS 'Blocking checks per payroll journal: balanced, accounts_in_chart, accounts_in_d365, items_mapped, agrees_with_register, risk_hold.';
COMMENT ON COLUMN gl.payroll_journal_checks.business_date IS 'Check date.';
COMMENT ON COLUMN gl.payroll_journal_checks.journal_key IS 'Payroll journal checked (gl.payroll_journal_lines.journal_key).';
COMMENT ON COLUMN gl.payroll_journal_checks.check_name IS 'balanced, accounts_in_chart, accounts_in_d365, items_mapped, agrees_with_register or risk_hold.';
COMMENT ON COLUMN gl.payroll_journal_checks.passed IS 'True when the journal may be posted as far as this check goes.';
COMMENT ON COLUMN gl.payroll_journal_checks.detail IS 'What was found: amounts, and the items, departments, accounts or totals to look at.';
COMMENT ON COLUMN gl.payroll_journal_checks.evaluated_at IS 'When the check last ran.';
