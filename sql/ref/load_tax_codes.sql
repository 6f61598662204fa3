-- ref.tax_codes from mappings/tax_codes.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.tax_codes AS
SELECT upper(tax_code) AS tax_code, rate_percent, d365_sales_tax_code, description, valid_from
FROM read_csv($dir || '/tax_codes.csv', header = true, columns = {
    'tax_code': 'VARCHAR', 'rate_percent': 'DECIMAL(9,4)', 'd365_sales_tax_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.tax_codes IS 'mappings/tax_codes.csv as loaded: POS tax codes mapped to D365 sales tax codes. A line with a code missing here loads with a mapping_issue (unmapped_tax_code).';
COMMENT ON COLUMN ref.tax_codes.tax_code IS 'POS tax code of a ticket line, upper case (NY-STD).';
COMMENT ON COLUMN ref.tax_codes.rate_percent IS 'Combined tax rate in percent (8.875); the sandbox computes line tax with it, the pipeline takes each line''s tax amount from the POS.';
COMMENT ON COLUMN ref.tax_codes.d365_sales_tax_code IS 'D365 sales tax code (NY_SALES): the match_value of the sales_tax posting rule.';
COMMENT ON COLUMN ref.tax_codes.description IS 'What the tax is, for people.';
COMMENT ON COLUMN ref.tax_codes.valid_from IS 'Day the mapping took effect, as recorded in the file; lookups match on tax_code alone, so keep one row per code.';
