-- stores: one row per generated store with what its day needs (day_build.py fills it): codes,
-- tax rate, the day's UTC midnight and offset, and the day's batch and deposit ids.
CREATE OR REPLACE TABLE stores (
    store_idx INTEGER, store_id VARCHAR, merchant_id VARCHAR, store_name VARCHAR,
    store_name_json VARCHAR, account_id VARCHAR, currency VARCHAR, tax_code VARCHAR,
    tax_rate_ppm BIGINT, midnight_ms BIGINT, offset_ms BIGINT, offset_text VARCHAR,
    batch_id VARCHAR, deposit_id VARCHAR);
