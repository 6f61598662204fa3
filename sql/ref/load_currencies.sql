-- ref.currencies from mappings/currencies.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.currencies AS
SELECT upper(currency) AS currency, minor_unit_exponent, name
FROM read_csv($dir || '/currencies.csv', header = true, columns = {
    'currency': 'VARCHAR', 'minor_unit_exponent': 'INTEGER', 'name': 'VARCHAR'});
COMMENT ON TABLE ref.currencies IS 'mappings/currencies.csv as loaded: the currencies the pipeline accepts and how many decimals their minor units have.';
COMMENT ON COLUMN ref.currencies.currency IS 'ISO 4217 code, upper case (USD).';
COMMENT ON COLUMN ref.currencies.minor_unit_exponent IS 'Decimals of the currency: Heartland''s integer minor units are divided by 10^exponent (2: 2593 = 25.93). A currency missing here, or with more than 2, is a mapping_issue (unsupported_currency).';
COMMENT ON COLUMN ref.currencies.name IS 'Currency name, for people.';
