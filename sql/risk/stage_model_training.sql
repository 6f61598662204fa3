-- The model's groups and training rows for the business day $day (hl_d365_assets/risk/model.py):
-- risk_model_groups numbers the day's merchants (legal entities) x domain x entity kind;
-- risk_model_training holds, per group, a deterministic sample (by hash of entity and day) of
-- about $max_rows entity-days from the trailing window $window_start .. $day - 1 - never the
-- day scored; risk_model_columns numbers each group's features (the matrix columns).
CREATE OR REPLACE TEMP TABLE risk_model_groups AS
SELECT legal_entity, domain, entity_kind,
       row_number() OVER (ORDER BY legal_entity, domain, entity_kind) - 1 AS model_group
FROM (SELECT DISTINCT legal_entity, domain, entity_kind FROM risk_entities WHERE business_date = $day);

-- The sampling share of a group is estimated from the day's own count x the window's days, not
-- counted over the window: a count of the window's 80 million rows (or a CTE read twice, which
-- DuckDB materialises) costs more than the training itself. The sample is then one streaming,
-- hash-filtered pass over the window.
CREATE OR REPLACE TEMP TABLE risk_model_sampling AS
SELECT g.model_group, g.legal_entity, g.domain, g.entity_kind,
       least(1.0, $max_rows / (count(*) * $window_days)) AS fraction
FROM risk_model_groups AS g
JOIN risk_entities AS e
  ON e.business_date = $day AND e.legal_entity IS NOT DISTINCT FROM g.legal_entity
 AND e.domain = g.domain AND e.entity_kind = g.entity_kind
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE risk_model_training AS
WITH sampled AS (
    SELECT f.business_date, s.model_group, f.entity_id, f.feature, f.value
    FROM risk.features AS f
    JOIN risk_model_sampling AS s
      ON s.legal_entity IS NOT DISTINCT FROM f.legal_entity
     AND s.domain = f.domain AND s.entity_kind = f.entity_kind
    WHERE f.business_date >= $window_start AND f.business_date < $day
      AND hash(f.entity_id, f.business_date) % 1000000 < s.fraction * 1000000
)
SELECT model_group,
       dense_rank() OVER (PARTITION BY model_group ORDER BY business_date, entity_id) - 1 AS row_no,
       feature, value
FROM sampled;

CREATE OR REPLACE TEMP TABLE risk_model_columns AS
SELECT model_group, feature, row_number() OVER (PARTITION BY model_group ORDER BY feature) - 1 AS col
FROM (SELECT DISTINCT model_group, feature FROM risk_model_training);
