-- Risk features, long format: one row per business day x domain x entity x feature. Every
-- domain's features file (sql/risk/features_<domain>.sql) inserts the days it is asked for;
-- the risk step deletes those days' rows of that domain first, so a day scored twice gives the
-- same rows. Values are statistics (counts, ratios, robust z-scores), not money: money stays
-- DECIMAL in canonical.*, and evidence quotes it exactly.
CREATE TABLE IF NOT EXISTS risk.features (
    business_date   DATE NOT NULL,
    domain          VARCHAR NOT NULL,
    entity_kind     VARCHAR NOT NULL,
    entity_id       VARCHAR NOT NULL,
    store_id        VARCHAR,
    legal_entity    VARCHAR,
    feature         VARCHAR NOT NULL,
    value           DOUBLE NOT NULL,
    evidence        VARCHAR,
    record_ids      VARCHAR[] NOT NULL
);
-- Added after the first warehouses were created: their rows keep NULL, and training hashes those
-- on the fly (sql/risk/stage_model_training.sql), so the sample does not depend on when a row
-- was written.
ALTER TABLE risk.features ADD COLUMN IF NOT EXISTS sample_key INTEGER;
COMMENT ON TABLE risk.features IS 'Per business day, domain (payments, pos, settlement, payroll), scored entity and feature: the value the rules and the model read, and the records it was computed from.';
COMMENT ON COLUMN risk.features.business_date IS 'Business day scored (payroll: the pay run''s check date).';
COMMENT ON COLUMN risk.features.domain IS 'payments, pos, settlement or payroll.';
COMMENT ON COLUMN risk.features.entity_kind IS 'What is scored: card (token, else first6/last4, per store), terminal (store + register), transaction, cashier (store + cashier), ticket, batch_brand, employee (per pay run).';
COMMENT ON COLUMN risk.features.entity_id IS 'The entity''s key, readable: e.g. S001/4111**1111, S001/R2, TRN_…, S001/cashier 17, BAT_…/VISA, 20261120-1/E10004.';
COMMENT ON COLUMN risk.features.store_id IS 'Store of the entity; NULL for payroll.';
COMMENT ON COLUMN risk.features.legal_entity IS 'D365 legal entity of the entity.';
COMMENT ON COLUMN risk.features.feature IS 'Feature name (e.g. small_auths_10min_max, decline_ratio, amount_robust_z); the rules of mappings/risk_rules.csv name it.';
COMMENT ON COLUMN risk.features.value IS 'The feature''s value (a count, ratio or robust z-score; DOUBLE because it is a statistic, never a booked amount).';
COMMENT ON COLUMN risk.features.evidence IS 'The feature in words with exact figures, e.g. "14 authorisations under 2.00 USD between 14:02 and 14:09".';
COMMENT ON COLUMN risk.features.record_ids IS 'The canonical records behind the value, as kind:id (transaction:TRN_…, ticket:…, payroll_item:<run>/<employee>/<item>, batch:BAT_…/VISA, employee:E…): what lineage and the sandbox truth join on.';
COMMENT ON COLUMN risk.features.sample_key IS 'risk_sample_key(entity_id, business_date) (sql/macros/risk_sample_key.sql), written with the day''s rows: the model''s deterministic training sample compares it with the group''s share. NULL on rows written before the column existed (training hashes those itself).';
