-- The rules of ref.risk_rules against risk.features of the days $first..$last, set-based: every
-- feature row meets the rules of its day, domain, entity kind and feature in one join.
-- risk_entities: every scored entity of the days (what risk.scores gets a row for), numbered
-- within its merchant (legal entity), domain and kind for the model's matrix (model_input).
-- risk_fired_rules: each rule that fired, its reason in words.

-- The rule rows in force on each day: the newest valid_from on or before it, per rule_id.
CREATE OR REPLACE TEMP TABLE risk_day_rules AS
SELECT d.business_date, r.rule_id, r.domain, r.entity_kind, r.feature, r.operator, r.threshold,
       r.points, r.severity, r.pattern, r.reason
FROM (
    SELECT DISTINCT business_date FROM risk.features WHERE business_date BETWEEN $first AND $last
) AS d
JOIN ref.risk_rules AS r ON r.valid_from <= d.business_date
QUALIFY row_number() OVER (PARTITION BY d.business_date, r.rule_id ORDER BY r.valid_from DESC) = 1;

CREATE OR REPLACE TEMP TABLE risk_fired_rules AS
WITH matched AS (
    SELECT f.business_date, f.domain, f.entity_kind, f.entity_id, f.value, f.evidence, r.rule_id,
           r.threshold, r.points, r.severity, r.pattern, r.reason
    FROM risk.features AS f
    JOIN risk_day_rules AS r USING (business_date, domain, entity_kind, feature)
    WHERE f.business_date BETWEEN $first AND $last
      AND CASE r.operator
              WHEN '>=' THEN f.value >= r.threshold
              WHEN '>' THEN f.value > r.threshold
              WHEN '<=' THEN f.value <= r.threshold
              WHEN '<' THEN f.value < r.threshold
          END
)
SELECT business_date, domain, entity_kind, entity_id, rule_id, points, severity, pattern,
       CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END AS severity_rank,
       replace(replace(replace(reason,
           '{value}', CASE WHEN value = round(value) AND abs(value) < 1e15
                           THEN CAST(CAST(value AS BIGINT) AS VARCHAR)
                           ELSE CAST(round(value, 2) AS VARCHAR) END),
           '{threshold}', CASE WHEN threshold = round(threshold) AND abs(threshold) < 1e15
                               THEN CAST(CAST(threshold AS BIGINT) AS VARCHAR)
                               ELSE CAST(threshold AS VARCHAR) END),
           '{evidence}', coalesce(evidence, '')) AS reason
FROM matched;

CREATE OR REPLACE TEMP TABLE risk_entities AS
SELECT business_date, domain, entity_kind, entity_id,
       any_value(store_id) AS store_id, any_value(legal_entity) AS legal_entity,
       map(list(feature ORDER BY feature), list(value ORDER BY feature)) AS features,
       list_sort(list_distinct(flatten(list(record_ids)))) AS record_ids,
       row_number() OVER (
           PARTITION BY business_date, any_value(legal_entity), domain, entity_kind ORDER BY entity_id
       ) - 1 AS row_no
FROM risk.features
WHERE business_date BETWEEN $first AND $last
GROUP BY business_date, domain, entity_kind, entity_id;

-- What the model scores, filled per merchant, domain and kind by hl_d365_assets/risk/model.py.
CREATE OR REPLACE TEMP TABLE risk_model_scores (
    business_date   DATE,
    legal_entity    VARCHAR,
    domain          VARCHAR,
    entity_kind     VARCHAR,
    row_no          BIGINT,
    model_score     DOUBLE,
    top_feature     VARCHAR,
    model_version   VARCHAR
);

DROP TABLE risk_day_rules;
