-- Reviewed risk alerts as labels for tuning the rules and the model: a reviewer sets the alert's
-- recon.exceptions row to fraud or not_fraud (with a note); the label stays even after the alert
-- stops firing (the exception keeps it), with the features the entity had when last scored.
CREATE OR REPLACE VIEW risk.labels AS
SELECT e.exception_id,
       regexp_extract(e.source_keys, 'alert_id=([^,]+)', 1) AS alert_id,
       e.business_date,
       substr(e.kind, 6) AS pattern,
       e.status = 'fraud' AS is_fraud,
       e.status AS decision,
       e.resolution_note,
       e.resolved_by,
       e.resolved_at,
       e.severity,
       s.domain,
       s.entity_kind,
       s.entity_id,
       s.score,
       s.rule_points,
       s.rules_fired,
       s.model_score,
       s.model_version,
       s.features,
       s.record_ids
FROM recon.exceptions AS e
LEFT JOIN risk.scores AS s
  ON s.business_date = e.business_date
 AND s.domain || '/' || s.entity_kind || '/' || s.entity_id
     = regexp_extract(e.source_keys, 'entity=(.+)$', 1)
WHERE e.kind LIKE 'risk\_%' ESCAPE '\' AND e.status IN ('fraud', 'not_fraud');
COMMENT ON VIEW risk.labels IS 'Risk alerts a reviewer decided (recon.exceptions status fraud or not_fraud), with the scored entity''s features: the labels for tuning mappings/risk_rules.csv and the model.';
COMMENT ON COLUMN risk.labels.exception_id IS 'The alert''s review row. Source: recon.exceptions(exception_id)';
COMMENT ON COLUMN risk.labels.alert_id IS 'The risk alert. Source: recon.exceptions(source_keys)';
COMMENT ON COLUMN risk.labels.business_date IS 'Business day scored. Source: recon.exceptions(business_date)';
COMMENT ON COLUMN risk.labels.pattern IS 'Pattern of the alert (its kind without risk_). Source: recon.exceptions(kind)';
COMMENT ON COLUMN risk.labels.is_fraud IS 'True when the reviewer set fraud, false for not_fraud. Source: recon.exceptions(status)';
COMMENT ON COLUMN risk.labels.decision IS 'fraud or not_fraud, as the reviewer set it. Source: recon.exceptions(status)';
COMMENT ON COLUMN risk.labels.resolution_note IS 'The reviewer''s note. Source: recon.exceptions(resolution_note)';
COMMENT ON COLUMN risk.labels.resolved_by IS 'Who decided, as the reviewer records it. Source: recon.exceptions(resolved_by)';
COMMENT ON COLUMN risk.labels.resolved_at IS 'When, as the reviewer records it. Source: recon.exceptions(resolved_at)';
COMMENT ON COLUMN risk.labels.severity IS 'Severity of the alert. Source: recon.exceptions(severity)';
COMMENT ON COLUMN risk.labels.domain IS 'payments, pos, settlement or payroll. Source: risk.scores(domain)';
COMMENT ON COLUMN risk.labels.entity_kind IS 'What was scored. Source: risk.scores(entity_kind)';
COMMENT ON COLUMN risk.labels.entity_id IS 'The scored entity. Source: risk.scores(entity_id)';
COMMENT ON COLUMN risk.labels.score IS 'Combined score when last scored. Source: risk.scores(score)';
COMMENT ON COLUMN risk.labels.rule_points IS 'Points of the rules that fired. Source: risk.scores(rule_points)';
COMMENT ON COLUMN risk.labels.rules_fired IS 'The rules that fired. Source: risk.scores(rules_fired)';
COMMENT ON COLUMN risk.labels.model_score IS 'The model''s anomaly score. Source: risk.scores(model_score)';
COMMENT ON COLUMN risk.labels.model_version IS 'The model that scored it. Source: risk.scores(model_version)';
COMMENT ON COLUMN risk.labels.features IS 'The entity''s feature values when last scored. Source: risk.scores(features)';
COMMENT ON COLUMN risk.labels.record_ids IS 'The canonical records behind the entity. Source: risk.scores(record_ids)';
