-- ref.currencies from mappings/currencies.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.currencies AS
SELECT upper(currency) AS currency, minor_unit_exponent, name
FROM read_csv($dir || '/currencies.csv', header = true, columns = {
    'currency': 'VARCHAR', 'minor_unit_exponent': 'INTEGER', 'name': 'VARCHAR'});
