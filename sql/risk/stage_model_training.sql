-- The model's groups and training rows for the business day $day (hl_d365_assets/risk/model.py):
-- risk_model_groups numbers the day's merchants (legal entities) x domain x entity kind;
-- risk_model_training holds, per group, a deterministic sample (by hash of entity and day) of at
-- most about $max_rows entity-days from the trailing window $window_start .. $day - 1 - never the
-- day scored; risk_model_columns numbers each group's features (the matrix columns).
CREATE OR REPLACE TEMP TABLE risk_model_groups AS
SELECT legal_entity, domain, entity_kind,
       row_number() OVER (ORDER BY legal_entity, domain, entity_kind) - 1 AS model_group
FROM (SELECT DISTINCT legal_entity, domain, entity_kind FROM risk_entities WHERE business_date = $day);

CREATE OR REPLACE TEMP TABLE risk_model_training AS
WITH history AS (
    SELECT f.business_date, g.model_group, f.entity_id, f.feature, f.value
    FROM risk.features AS f
    JOIN risk_model_groups AS g
      ON g.legal_entity IS NOT DISTINCT FROM f.legal_entity
     AND g.domain = f.domain AND g.entity_kind = f.entity_kind
    WHERE f.business_date >= $window_start AND f.business_date < $day
),
sizes AS (
    SELECT model_group, least(1.0, $max_rows * count(DISTINCT feature) / count(*)) AS fraction
    FROM history
    GROUP BY model_group
)
SELECT h.model_group,
       dense_rank() OVER (PARTITION BY h.model_group ORDER BY h.business_date, h.entity_id) - 1 AS row_no,
       h.feature, h.value
FROM history AS h
JOIN sizes AS s USING (model_group)
WHERE hash(h.entity_id, h.business_date) % 1000000 < s.fraction * 1000000;

CREATE OR REPLACE TEMP TABLE risk_model_columns AS
SELECT model_group, feature, row_number() OVER (PARTITION BY model_group ORDER BY feature) - 1 AS col
FROM (SELECT DISTINCT model_group, feature FROM risk_model_training);
