-- The training rows of every model group of the day, as matrix coordinates (stage_model_training.sql).
-- An entity-day can hold a feature twice (a terminal's small_auths_10min_max once per currency it
-- took attempts in): the larger value is its cell, so the matrix does not depend on which of the
-- two rows DuckDB happened to return last (a re-run gave 3 terminals another model score).
SELECT t.model_group, t.row_no, c.col, max(t.value) AS value
FROM risk_model_training AS t
JOIN risk_model_columns AS c USING (model_group, feature)
GROUP BY t.model_group, t.row_no, c.col
ORDER BY t.model_group
