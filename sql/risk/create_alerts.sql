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
