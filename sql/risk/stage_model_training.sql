-- The model's training rows for the business day $day (hl_d365_assets/risk/model.py), of the groups
-- and shares of sql/risk/stage_model_sampling.sql: risk_model_training holds, per group, a
-- deterministic sample (by the entity-day's key, sql/macros/risk_sample_key.sql) of about
-- $max_rows entity-days from the trailing window $window_start .. $day - 1 - never the day
-- scored; risk_model_columns numbers each group's features (the matrix columns).
--
-- Two passes over the window. Groups trained on a share of it (a merchant's transactions: at a
-- million a day, 0.07 % of 28 million) read only the rows whose stored key is under $cut, the
-- largest share's (select_model_sampling_cut.sql): a constant DuckDB compares in the scan, so
-- the other rows' entity ids are never read or joined; the exact share of each group is then
-- compared after the join. Groups small enough to train on all of their window (stores,
-- terminals, batches) read all of it. A row written before sample_key existed (NULL) is hashed
-- here, to the same key: the sample does not depend on when a row was written.
CREATE OR REPLACE TEMP TABLE risk_model_training AS
WITH sampled AS (
    SELECT f.business_date, s.model_group, f.entity_id, f.feature, f.value
    FROM risk.features AS f
    JOIN risk_model_sampling AS s
      ON s.legal_entity IS NOT DISTINCT FROM f.legal_entity
     AND s.domain = f.domain AND s.entity_kind = f.entity_kind
    WHERE f.business_date >= $window_start AND f.business_date < $day
      AND (f.sample_key < $cut OR f.sample_key IS NULL)
      AND s.fraction < 1
      AND coalesce(f.sample_key, risk_sample_key(f.entity_id, f.business_date)) < s.fraction * 1000000
    UNION ALL
    SELECT f.business_date, s.model_group, f.entity_id, f.feature, f.value
    FROM risk.features AS f
    JOIN risk_model_sampling AS s
      ON s.legal_entity IS NOT DISTINCT FROM f.legal_entity
     AND s.domain = f.domain AND s.entity_kind = f.entity_kind
    WHERE f.business_date >= $window_start AND f.business_date < $day
      AND s.fraction = 1
)
SELECT model_group,
       dense_rank() OVER (PARTITION BY model_group ORDER BY business_date, entity_id) - 1 AS row_no,
       feature, value
FROM sampled;

CREATE OR REPLACE TEMP TABLE risk_model_columns AS
SELECT model_group, feature, row_number() OVER (PARTITION BY model_group ORDER BY feature) - 1 AS col
FROM (SELECT DISTINCT model_group, feature FROM risk_model_training);
