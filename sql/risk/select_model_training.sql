-- The training rows of every model group of the day, as matrix coordinates (stage_model_training.sql).
SELECT t.model_group, t.row_no, c.col, t.value
FROM risk_model_training AS t
JOIN risk_model_columns AS c USING (model_group, feature)
ORDER BY t.model_group
