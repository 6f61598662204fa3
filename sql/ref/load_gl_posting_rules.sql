-- ref.gl_posting_rules from mappings/gl_posting_rules.csv ($dir: the mappings folder).
-- Which main account each kind of posting goes to, from which day on.
CREATE OR REPLACE TABLE ref.gl_posting_rules AS
SELECT lower(trim(posting_kind)) AS posting_kind,
       upper(replace(trim(match_value), ' ', '_')) AS match_value,
       trim(main_account) AS main_account, lower(trim(dimensions)) AS dimensions, description,
       valid_from
FROM read_csv($dir || '/gl_posting_rules.csv', header = true, columns = {
    'posting_kind': 'VARCHAR', 'match_value': 'VARCHAR', 'main_account': 'VARCHAR',
    'dimensions': 'VARCHAR', 'description': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.gl_posting_rules IS 'mappings/gl_posting_rules.csv as loaded: which main account each kind of posting goes to. For a posting on a day, the rule with the newest valid_from on or before the day wins, an exact match_value before *.';
COMMENT ON COLUMN ref.gl_posting_rules.posting_kind IS 'What is posted, lower case: tender, tip, revenue, returns, sales_tax, cogs, inventory, cash_over_short, settlement, merchant_fees, deposit, settlement_difference, customer_payment, rounding.';
COMMENT ON COLUMN ref.gl_posting_rules.match_value IS 'Value the rule applies to, upper case with spaces as underscores: a D365 payment method code (tender, settlement, merchant_fees), store department (revenue, returns, cogs), D365 sales tax code (sales_tax), currency (deposit); * for any.';
COMMENT ON COLUMN ref.gl_posting_rules.main_account IS 'D365 main account the posting goes to (ref.gl_main_accounts).';
COMMENT ON COLUMN ref.gl_posting_rules.dimensions IS 'store: the line carries the store''s financial dimension values (ref.gl_store_dimensions); none: posted without dimensions.';
COMMENT ON COLUMN ref.gl_posting_rules.description IS 'What the rule books, in the accountant''s words.';
COMMENT ON COLUMN ref.gl_posting_rules.valid_from IS 'First business day the rule applies.';
