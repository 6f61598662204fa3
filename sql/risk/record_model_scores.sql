-- The model's scores of the day $day (the registered Arrow table model_scores_arrow: model_group,
-- row_no, model_score, top_col) into risk_model_scores, with the entity's keys and the name of
-- the feature farthest from its training median.
INSERT INTO risk_model_scores
SELECT $day, g.legal_entity, g.domain, g.entity_kind, s.row_no, s.model_score, c.feature,
       $model_version
FROM model_scores_arrow AS s
JOIN risk_model_groups AS g USING (model_group)
LEFT JOIN risk_model_columns AS c ON c.model_group = s.model_group AND c.col = s.top_col
