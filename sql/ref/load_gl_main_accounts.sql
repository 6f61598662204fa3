-- ref.gl_main_accounts from mappings/gl_main_accounts.csv ($dir: the mappings folder).
-- The chart of accounts: the main accounts we may post to.
CREATE OR REPLACE TABLE ref.gl_main_accounts AS
SELECT trim(main_account) AS main_account, name, account_type
FROM read_csv($dir || '/gl_main_accounts.csv', header = true, columns = {
    'main_account': 'VARCHAR', 'name': 'VARCHAR', 'account_type': 'VARCHAR'});
COMMENT ON TABLE ref.gl_main_accounts IS 'mappings/gl_main_accounts.csv as loaded: the main accounts journals may post to. The accounts_in_chart check fails a journal line on any other; mappings_exist_in_d365 checks these against D365.';
COMMENT ON COLUMN ref.gl_main_accounts.main_account IS 'D365 main account number (112100), the first segment of an AccountDisplayValue.';
COMMENT ON COLUMN ref.gl_main_accounts.name IS 'Account name; the journal line text is this name and the business day.';
COMMENT ON COLUMN ref.gl_main_accounts.account_type IS 'D365 account type (BalanceSheet, ProfitAndLoss), as D365 MainAccounts holds it.';
