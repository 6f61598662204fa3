-- The model's scores of the day $day (the registered Arrow table model_scores_arrow: model_group,
-- row_no, model_score, top_col) into risk_model_scores, by the entity's number in risk_entities,
-- with the name of the feature farthest from its training median.
INSERT INTO risk_model_scores
SELECT s.row_no, s.model_score, c.feature, $model_version
FROM model_scores_arrow AS s
LEFT JOIN risk_model_columns AS c ON c.model_group = s.model_group AND c.col = s.top_col
