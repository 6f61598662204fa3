-- ref.gl_payroll_posting_rules from mappings/gl_payroll_posting_rules.csv ($dir: the mappings
-- folder). Which main account each payroll item class and code is debited or credited to.
CREATE OR REPLACE TABLE ref.gl_payroll_posting_rules AS
SELECT upper(trim(item_class)) AS item_class, upper(replace(trim(item_code), ' ', '_')) AS item_code,
       lower(trim(side)) AS side, trim(main_account) AS main_account,
       lower(trim(dimensions)) AS dimensions, description, valid_from
FROM read_csv($dir || '/gl_payroll_posting_rules.csv', header = true, columns = {
    'item_class': 'VARCHAR', 'item_code': 'VARCHAR', 'side': 'VARCHAR', 'main_account': 'VARCHAR',
    'dimensions': 'VARCHAR', 'description': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.gl_payroll_posting_rules IS 'mappings/gl_payroll_posting_rules.csv as loaded: the main account each payroll item class and code posts to, per side. For an item on a check date, the rule with the newest valid_from on or before it wins, an exact item_code before *.';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.item_class IS 'EARNING, EE_TAX, ER_TAX, EE_DEDUCTION, ER_BENEFIT or NET_PAY.';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.item_code IS 'Register item code the rule applies to, upper case; * for any code of the class.';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.side IS 'debit or credit: which side of the item the rule books (employer taxes and benefits need both).';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.main_account IS 'D365 main account (ref.gl_main_accounts).';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.dimensions IS 'department: the line carries the BusinessUnit of the location and the Department of the register department; none: posted without dimensions.';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.description IS 'What the rule books, in the accountant''s words.';
COMMENT ON COLUMN ref.gl_payroll_posting_rules.valid_from IS 'First check date the rule applies.';
