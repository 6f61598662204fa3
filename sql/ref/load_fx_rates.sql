-- ref.fx_rates from mappings/fx_rates.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.fx_rates AS
SELECT rate_date, upper(from_currency) AS from_currency, upper(to_currency) AS to_currency, rate
FROM read_csv($dir || '/fx_rates.csv', header = true, columns = {
    'rate_date': 'DATE', 'from_currency': 'VARCHAR', 'to_currency': 'VARCHAR', 'rate': 'DECIMAL(18,8)'})
UNION ALL
-- A currency converts to itself at 1 from the beginning of time.
SELECT DATE '1900-01-01', currency, currency, 1 FROM ref.currencies;
