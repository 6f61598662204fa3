-- The model's groups and sampling shares for the business day $day (hl_d365_assets/risk/model.py):
-- risk_model_groups numbers the day's merchants (legal entities) x domain x entity kind;
-- risk_model_sampling gives each group the share of the trailing window's entity-days it trains
-- on: about $max_rows of them (sql/risk/stage_model_training.sql takes the sample).
CREATE OR REPLACE TEMP TABLE risk_model_groups AS
SELECT legal_entity, domain, entity_kind,
       row_number() OVER (ORDER BY legal_entity, domain, entity_kind) - 1 AS model_group
FROM (SELECT DISTINCT legal_entity, domain, entity_kind FROM risk_entities WHERE business_date = $day);

-- The sampling share of a group is estimated from the day's own count x the window's days, not
-- counted over the window: a count of the window's 80 million rows (or a CTE read twice, which
-- DuckDB materialises) costs more than the training itself. The sample is then one streaming,
-- key-filtered pass over the window.
CREATE OR REPLACE TEMP TABLE risk_model_sampling AS
SELECT g.model_group, g.legal_entity, g.domain, g.entity_kind,
       least(1.0, $max_rows / (count(*) * $window_days)) AS fraction
FROM risk_model_groups AS g
JOIN risk_entities AS e
  ON e.business_date = $day AND e.legal_entity IS NOT DISTINCT FROM g.legal_entity
 AND e.domain = g.domain AND e.entity_kind = g.entity_kind
GROUP BY ALL;
