-- ref.fx_rates from mappings/fx_rates.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.fx_rates AS
SELECT rate_date, upper(from_currency) AS from_currency, upper(to_currency) AS to_currency, rate
FROM read_csv($dir || '/fx_rates.csv', header = true, columns = {
    'rate_date': 'DATE', 'from_currency': 'VARCHAR', 'to_currency': 'VARCHAR', 'rate': 'DECIMAL(18,8)'})
UNION ALL
-- A currency converts to itself at 1 from the beginning of time.
SELECT DATE '1900-01-01', currency, currency, 1 FROM ref.currencies;
COMMENT ON TABLE ref.fx_rates IS 'mappings/fx_rates.csv as loaded, plus a rate of 1 from each currency to itself: a business day uses the latest rate on or before it.';
COMMENT ON COLUMN ref.fx_rates.rate_date IS 'First day the rate applies; it holds until a later rate_date (1900-01-01 for the rate of a currency to itself).';
COMMENT ON COLUMN ref.fx_rates.from_currency IS 'Transaction currency converted from, upper case.';
COMMENT ON COLUMN ref.fx_rates.to_currency IS 'Base (accounting) currency converted to, upper case.';
COMMENT ON COLUMN ref.fx_rates.rate IS 'Units of to_currency per unit of from_currency, exact to 8 decimals; base amounts are amount x rate rounded half away from zero to the cent.';
