-- D365 MainAccounts: the chart of accounts as D365 holds it, shared by every legal entity.
-- Pulled in full each time (the entity has no modification timestamp; a few hundred rows).
-- Columns keep D365's field names; DuckDB matches names case-insensitively (mainaccountid works).
CREATE TABLE IF NOT EXISTS raw.d365_main_accounts (
    ChartOfAccounts     VARCHAR NOT NULL,
    MainAccountId       VARCHAR NOT NULL,
    Name                VARCHAR,
    MainAccountType     VARCHAR,
    pulled_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ChartOfAccounts, MainAccountId)
);
COMMENT ON TABLE raw.d365_main_accounts IS 'D365 MainAccounts (chart of accounts, shared), replaced by each full pull. The mapping check compares mappings/gl_*.csv against it.';
COMMENT ON COLUMN raw.d365_main_accounts.ChartOfAccounts IS 'Chart of accounts the account belongs to (the sandbox: Shared). Key with MainAccountId.';
COMMENT ON COLUMN raw.d365_main_accounts.MainAccountId IS 'Main account number, the first segment of a ledger AccountDisplayValue.';
COMMENT ON COLUMN raw.d365_main_accounts.Name IS 'Account name as D365 shows it.';
COMMENT ON COLUMN raw.d365_main_accounts.MainAccountType IS 'D365 account type symbol (BalanceSheet, ProfitAndLoss, ...).';
COMMENT ON COLUMN raw.d365_main_accounts.pulled_at IS 'When the pull that wrote this row started (UTC).';
