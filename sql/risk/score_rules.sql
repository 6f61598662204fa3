-- The rules of ref.risk_rules against risk.features of the days $first..$last, set-based: every
-- feature row meets the rules of its day, domain, entity kind and feature in one join.
-- A features file may write a feature of an entity twice (a store's busiest burst per currency);
-- the largest value stands (every rule operator is >= or >: the strongest case), with every
-- row's records, so a rule fires once. Most entities are transactions with one feature row:
-- they are passed through as they are, and only entities of several rows are aggregated (list
-- aggregates over a million groups would cost more than the rest of the scoring). Both tables
-- read risk.features directly: an intermediate copy of the day's 1.4 million rows with their
-- evidence and records cost more (4 s of CPU at a million transactions) than reading them twice.

-- The rule rows in force on each day: the newest valid_from on or before it, per rule_id.
CREATE OR REPLACE TEMP TABLE risk_day_rules AS
SELECT d.business_date, r.rule_id, r.domain, r.entity_kind, r.feature, r.operator, r.threshold,
       r.points, r.severity, r.pattern, r.reason
FROM (
    SELECT DISTINCT business_date FROM risk.features WHERE business_date BETWEEN $first AND $last
) AS d
JOIN ref.risk_rules AS r ON r.valid_from <= d.business_date
QUALIFY row_number() OVER (PARTITION BY d.business_date, r.rule_id ORDER BY r.valid_from DESC) = 1;

-- The entities of several rows (a fifth of a million-transaction day's): only their keys are
-- kept, so the one-row entities are found by an anti join against this smaller table rather
-- than a semi join against a table of every entity (0.35 s of CPU less at a million).
CREATE OR REPLACE TEMP TABLE risk_multi_row_entities AS
SELECT business_date, domain, entity_kind, entity_id
FROM risk.features
WHERE business_date BETWEEN $first AND $last
GROUP BY business_date, domain, entity_kind, entity_id
HAVING count(*) > 1;

-- A rule compares the entity's largest value of its feature, so it can fire only where some row
-- of the feature passes the comparison (for > and >= the largest one does; for < and <= every
-- one must). Those few (entity, feature, rule) candidates are found row by row; only their rows
-- are aggregated and compared again, and only theirs carry evidence along.
CREATE OR REPLACE TEMP TABLE risk_fired_rules AS
WITH passing AS (
    SELECT DISTINCT f.business_date, f.domain, f.entity_kind, f.entity_id, f.feature
    FROM risk.features AS f
    JOIN risk_day_rules AS r USING (business_date, domain, entity_kind, feature)
    WHERE f.business_date BETWEEN $first AND $last
      AND risk_rule_passes(f.value, r.operator, r.threshold)
),
candidates AS (
    SELECT f.business_date, f.domain, f.entity_kind, f.entity_id, f.feature,
           max(f.value) AS value, arg_max(f.evidence, f.value) AS evidence
    FROM risk.features AS f
    SEMI JOIN passing AS c USING (business_date, domain, entity_kind, entity_id, feature)
    WHERE f.business_date BETWEEN $first AND $last
    GROUP BY ALL
),
matched AS (
    SELECT f.business_date, f.domain, f.entity_kind, f.entity_id, f.value, f.evidence, r.rule_id,
           r.threshold, r.points, r.severity, r.pattern, r.reason
    FROM candidates AS f
    JOIN risk_day_rules AS r USING (business_date, domain, entity_kind, feature)
    WHERE risk_rule_passes(f.value, r.operator, r.threshold)
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

-- row_no numbers the entities of the days in any order, all of them at once (numbered per
-- merchant, domain and kind, the window sorted every row with its map and records first): it is
-- only the key the model's scores come back by (hl_d365_assets/risk/model.py).
CREATE OR REPLACE TEMP TABLE risk_entities AS
WITH entities AS (
    -- a list of one record needs no sorting or deduplication (most transactions)
    SELECT f.business_date, f.domain, f.entity_kind, f.entity_id, f.store_id, f.legal_entity,
           map([f.feature], [f.value]) AS features,
           CASE WHEN len(f.record_ids) = 0 OR (len(f.record_ids) = 1 AND f.record_ids[1] IS NOT NULL)
                THEN f.record_ids
                ELSE list_sort(list_distinct(f.record_ids)) END AS record_ids
    FROM risk.features AS f
    ANTI JOIN risk_multi_row_entities AS s USING (business_date, domain, entity_kind, entity_id)
    WHERE f.business_date BETWEEN $first AND $last
    UNION ALL
    -- several rows: one group per entity; a feature written twice keeps its larger value (the
    -- entries sorted by feature and value, the last of each feature kept), the records of all
    SELECT business_date, domain, entity_kind, entity_id, store_id, legal_entity,
           map_from_entries(list_filter(entries, lambda entry, i: i = len(entries) OR entry.key <> entries[i + 1].key)),
           record_ids
    FROM (
        SELECT f.business_date, f.domain, f.entity_kind, f.entity_id,
               any_value(f.store_id) AS store_id, any_value(f.legal_entity) AS legal_entity,
               list_sort(list({'key': f.feature, 'value': f.value})) AS entries,
               list_sort(list_distinct(flatten(list(f.record_ids)))) AS record_ids
        FROM risk.features AS f
        SEMI JOIN risk_multi_row_entities AS s USING (business_date, domain, entity_kind, entity_id)
        WHERE f.business_date BETWEEN $first AND $last
        GROUP BY f.business_date, f.domain, f.entity_kind, f.entity_id
    )
)
SELECT *, row_number() OVER () - 1 AS row_no
FROM entities;

-- What the model scores, filled per merchant, domain and kind by hl_d365_assets/risk/model.py.
CREATE OR REPLACE TEMP TABLE risk_model_scores (
    row_no          BIGINT,
    model_score     DOUBLE,
    top_feature     VARCHAR,
    model_version   VARCHAR
);

DROP TABLE risk_day_rules;
DROP TABLE risk_multi_row_entities;
