-- ref.tax_codes from mappings/tax_codes.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.tax_codes AS
SELECT upper(tax_code) AS tax_code, rate_percent, d365_sales_tax_code, description, valid_from
FROM read_csv($dir || '/tax_codes.csv', header = true, columns = {
    'tax_code': 'VARCHAR', 'rate_percent': 'DECIMAL(9,4)', 'd365_sales_tax_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});
