-- ref.store_trading_hours from mappings/store_trading_hours.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.store_trading_hours AS
SELECT store_id, opens_at, closes_at, valid_from
FROM read_csv($dir || '/store_trading_hours.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'opens_at': 'TIME', 'closes_at': 'TIME', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.store_trading_hours IS 'mappings/store_trading_hours.csv as loaded: when each store trades, in its own time zone (ref.stores.timezone); risk scoring counts card transactions outside these hours (docs/risk-features-payments.md). A store missing here has no off-hours feature.';
COMMENT ON COLUMN ref.store_trading_hours.store_id IS 'Store id (S001), as in mappings/stores.csv.';
COMMENT ON COLUMN ref.store_trading_hours.opens_at IS 'Local time the store opens, every day of the week.';
COMMENT ON COLUMN ref.store_trading_hours.closes_at IS 'Local time the store closes; earlier than opens_at for a store trading past midnight.';
COMMENT ON COLUMN ref.store_trading_hours.valid_from IS 'Day the hours took effect; a business day uses the newest row on or before it.';
