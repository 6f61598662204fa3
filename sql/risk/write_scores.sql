-- risk.scores of the days $first..$last from risk_entities, risk_fired_rules and
-- risk_model_scores (sql/risk/score_rules.sql, hl_d365_assets/risk/model.py). The formula
-- (docs/risk.md): score = min(100, rule points + model points), model points =
-- $model_weight x clamp((model_score - $model_floor) / ($model_alert_score - $model_floor), 0, 1).
-- Severity: the strongest fired rule's, raised to high from $high_score; an entity only the
-- model lifted to $alert_score is medium.
DELETE FROM risk.scores WHERE business_date BETWEEN $first AND $last;

INSERT INTO risk.scores (
    business_date, domain, entity_kind, entity_id, store_id, legal_entity, rule_points,
    rules_fired, patterns, model_score, score, severity, top_reasons, features, model_version,
    record_ids, scored_at
)
WITH pattern_strength AS (
    SELECT business_date, domain, entity_kind, entity_id, pattern, max(points) AS points,
           max(severity_rank) AS severity_rank, min(rule_id) AS rule_id
    FROM risk_fired_rules
    GROUP BY ALL
),
patterns AS (
    -- strongest first: the pattern of the rule with the most points leads (risk.alerts.pattern)
    SELECT business_date, domain, entity_kind, entity_id,
           list(pattern ORDER BY points DESC, severity_rank DESC, rule_id) AS patterns
    FROM pattern_strength
    GROUP BY ALL
),
fired AS (
    SELECT business_date, domain, entity_kind, entity_id,
           sum(points) AS rule_points,
           list(rule_id ORDER BY points DESC, severity_rank DESC, rule_id) AS rules_fired,
           max(severity_rank) AS severity_rank,
           array_to_string(list(reason || ' (' || rule_id || ', +' || points || ')'
                                ORDER BY points DESC, severity_rank DESC, rule_id)[1:5], '; ') AS rule_reasons
    FROM risk_fired_rules
    GROUP BY ALL
),
fired_patterns AS (
    -- the few entities rules fired on, joined to the day's million entities once, not twice
    SELECT * FROM fired JOIN patterns USING (business_date, domain, entity_kind, entity_id)
),
combined AS (
    SELECT e.*, coalesce(f.rule_points, 0) AS rule_points,
           coalesce(f.rules_fired, []::VARCHAR[]) AS rules_fired,
           coalesce(f.patterns, []::VARCHAR[]) AS patterns, f.severity_rank, f.rule_reasons,
           m.model_score, m.top_feature, m.model_version,
           CASE WHEN m.model_score IS NULL THEN 0
                ELSE $model_weight * greatest(0.0, least(1.0,
                         (m.model_score - $model_floor) / ($model_alert_score - $model_floor)))
           END AS model_points
    FROM risk_entities AS e
    LEFT JOIN fired_patterns AS f USING (business_date, domain, entity_kind, entity_id)
    LEFT JOIN risk_model_scores AS m USING (row_no)
),
scored AS (
    SELECT *, least(100.0, rule_points + model_points) AS score FROM combined
)
SELECT business_date, domain, entity_kind, entity_id, store_id, legal_entity, rule_points,
       rules_fired, patterns,
       model_score, score,
       CASE WHEN score >= $high_score OR severity_rank = 3 THEN 'high'
            WHEN severity_rank = 2 OR score >= $alert_score THEN 'medium'
            WHEN severity_rank = 1 THEN 'low'
       END,
       nullif(concat_ws('; ', rule_reasons,
           CASE WHEN model_points >= 1
                THEN 'model: anomaly score ' || round(model_score, 3) || ' against the trailing window of '
                     || coalesce(legal_entity, '(no legal entity)') || '''s ' || entity_kind || ' entities'
                     || coalesce(', most unusual ' || top_feature || ' = '
                                 || round(map_extract_value(features, top_feature), 2), '')
                     || ' (+' || round(model_points)::BIGINT || ')'
           END), ''),
       features, model_version, record_ids, now()
FROM scored;
