-- The risk model's sampling key of an entity-day (hl_d365_assets/risk/model.py): a deterministic
-- number in 0..999,999 from the entity and its day. Training keeps an entity-day of the window
-- when its key is under the group's share x 1,000,000. Written once with the day's features
-- (risk.features.sample_key), so training compares a small stored column instead of hashing the
-- window's 38 million entity ids (at a million transactions a day) for every day it scores.
CREATE OR REPLACE MACRO risk_sample_key(entity_id, business_date) AS
    CAST(hash(entity_id, business_date) % 1000000 AS INTEGER);
