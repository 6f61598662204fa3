-- Scores above the alert threshold, one per entity and day, each also a recon.exceptions row of
-- kind risk_<pattern> (so accountants and risk review one queue, with its persistent status).
CREATE TABLE IF NOT EXISTS risk.alerts (
    alert_id        VARCHAR PRIMARY KEY,
    business_date   DATE NOT NULL,
    domain          VARCHAR NOT NULL,
    entity_kind     VARCHAR NOT NULL,
    entity_id       VARCHAR NOT NULL,
    store_id        VARCHAR,
    legal_entity    VARCHAR,
    pattern         VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL,
    score           DOUBLE NOT NULL,
    reasons         VARCHAR NOT NULL,
    record_ids      VARCHAR[] NOT NULL,
    exception_id    VARCHAR NOT NULL,
    model_version   VARCHAR,
    raised_at       TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE risk.alerts IS 'Risk scores above the alert threshold, deduplicated per entity and day, each with its recon.exceptions row for review.';
COMMENT ON COLUMN risk.alerts.alert_id IS 'RSK_ + hash of domain, entity kind, entity id and business day: stable across re-runs.';
COMMENT ON COLUMN risk.alerts.pattern IS 'The strongest pattern of the fired rules (model_anomaly when only the model flagged it).';
COMMENT ON COLUMN risk.alerts.exception_id IS 'The recon.exceptions row (kind risk_<pattern>) reviewers set to fraud / not_fraud / accepted.';
COMMENT ON COLUMN risk.alerts.business_date IS 'Business day scored (payroll: the pay run''s check date).';
COMMENT ON COLUMN risk.alerts.domain IS 'payments, pos, settlement or payroll.';
COMMENT ON COLUMN risk.alerts.entity_kind IS 'What was scored (risk.features.entity_kind).';
COMMENT ON COLUMN risk.alerts.entity_id IS 'The scored entity''s key (risk.features.entity_id).';
COMMENT ON COLUMN risk.alerts.store_id IS 'Store of the entity; NULL for payroll.';
COMMENT ON COLUMN risk.alerts.legal_entity IS 'D365 legal entity of the entity (the risk_hold check holds its journals).';
COMMENT ON COLUMN risk.alerts.severity IS 'high, medium or low (risk.scores.severity); high ones also go to ops.alerts and count towards risk_hold.';
COMMENT ON COLUMN risk.alerts.score IS 'Combined score in [0, 100] (risk.scores.score).';
COMMENT ON COLUMN risk.alerts.reasons IS 'Why it fired, in words, strongest first (risk.scores.top_reasons).';
COMMENT ON COLUMN risk.alerts.record_ids IS 'The canonical records behind the alert, as kind:id (what the sandbox truth and the payment-request hold join on).';
COMMENT ON COLUMN risk.alerts.model_version IS 'Model that scored it (risk.scores.model_version); NULL when too little history.';
COMMENT ON COLUMN risk.alerts.raised_at IS 'When the run that wrote it scored the day (UTC).';
