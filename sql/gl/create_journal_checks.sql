-- The outcome of the ledger's blocking checks per day and journal, as last evaluated. The poster
-- reads it: a day posts only when every check of every journal of the day passed.
CREATE TABLE IF NOT EXISTS gl.journal_checks (
    business_date   DATE NOT NULL,
    journal_key     VARCHAR NOT NULL,
    check_name      VARCHAR NOT NULL,
    passed          BOOLEAN NOT NULL,
    detail          VARCHAR NOT NULL,
    evaluated_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE gl.journal_checks IS 'Blocking checks per journal and day: balanced, accounts_in_chart, inputs_mapped, agrees_with_settlement, risk_hold.';
COMMENT ON COLUMN gl.journal_checks.business_date IS 'Business day.';
COMMENT ON COLUMN gl.journal_checks.journal_key IS 'Journal checked (legal entity, day, currency).';
COMMENT ON COLUMN gl.journal_checks.check_name IS 'balanced, accounts_in_chart, inputs_mapped, agrees_with_settlement or risk_hold.';
COMMENT ON COLUMN gl.journal_checks.passed IS 'True when the journal may be posted as far as this check goes.';
COMMENT ON COLUMN gl.journal_checks.detail IS 'What was found, with amounts and the records or values to look at.';
COMMENT ON COLUMN gl.journal_checks.evaluated_at IS 'When the check last ran (re-run the checks after accepting exceptions).';
