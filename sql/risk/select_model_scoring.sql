-- The day's entities ($day) as matrix coordinates of their model group (row_no: the entity's
-- number in risk_entities). A feature the group's training window never had has no column: its
-- row keeps the entity (col -1) but no value, so an entity of only such features is still
-- scored, on the training medians, as every entity of its group is.
WITH day_features AS (
    SELECT legal_entity, domain, entity_kind, row_no,
           unnest(map_keys(features)) AS feature, unnest(map_values(features)) AS value
    FROM risk_entities
    WHERE business_date = $day
)
SELECT g.model_group, d.row_no, coalesce(c.col, -1) AS col, d.value
FROM day_features AS d
JOIN risk_model_groups AS g
  ON g.legal_entity IS NOT DISTINCT FROM d.legal_entity
 AND g.domain = d.domain AND g.entity_kind = d.entity_kind
LEFT JOIN risk_model_columns AS c ON c.model_group = g.model_group AND c.feature = d.feature
ORDER BY g.model_group
