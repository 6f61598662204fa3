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
