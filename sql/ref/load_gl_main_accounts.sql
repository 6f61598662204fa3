-- ref.gl_main_accounts from mappings/gl_main_accounts.csv ($dir: the mappings folder).
-- The chart of accounts: the main accounts we may post to.
CREATE OR REPLACE TABLE ref.gl_main_accounts AS
SELECT trim(main_account) AS main_account, name, account_type
FROM read_csv($dir || '/gl_main_accounts.csv', header = true, columns = {
    'main_account': 'VARCHAR', 'name': 'VARCHAR', 'account_type': 'VARCHAR'});
