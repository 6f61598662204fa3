-- Every scored entity of a day: the rules that fired, the model's anomaly score, the combined
-- score and the top reasons in words. Rebuilt per day like risk.features.
CREATE TABLE IF NOT EXISTS risk.scores (
    business_date   DATE NOT NULL,
    domain          VARCHAR NOT NULL,
    entity_kind     VARCHAR NOT NULL,
    entity_id       VARCHAR NOT NULL,
    store_id        VARCHAR,
    legal_entity    VARCHAR,
    rule_points     INTEGER NOT NULL,
    rules_fired     VARCHAR[] NOT NULL,
    patterns        VARCHAR[] NOT NULL,
    model_score     DOUBLE,
    score           DOUBLE NOT NULL,
    severity        VARCHAR,
    top_reasons     VARCHAR,
    features        MAP(VARCHAR, DOUBLE) NOT NULL,
    model_version   VARCHAR,
    record_ids      VARCHAR[] NOT NULL,
    scored_at       TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE risk.scores IS 'Every scored entity of a business day: rule points, model anomaly score, combined score, severity and the reasons in words.';
COMMENT ON COLUMN risk.scores.rule_points IS 'Sum of the points of the rules of mappings/risk_rules.csv that fired on the entity''s features.';
COMMENT ON COLUMN risk.scores.rules_fired IS 'rule_id of each rule that fired.';
COMMENT ON COLUMN risk.scores.patterns IS 'Fraud patterns the fired rules stand for (hl_d365_assets/risk/patterns.py).';
COMMENT ON COLUMN risk.scores.model_score IS 'Unsupervised anomaly score in [0, 1] from the model trained on the trailing window of the entity''s merchant and kind (never on the day scored); NULL when too little history.';
COMMENT ON COLUMN risk.scores.score IS 'Combined score in [0, 100] (docs/risk.md says how rule points and the model combine).';
COMMENT ON COLUMN risk.scores.severity IS 'high, medium or low from the fired rules and the score; NULL when nothing fired.';
COMMENT ON COLUMN risk.scores.top_reasons IS 'The rules and features that drove the score, in words, strongest first.';
COMMENT ON COLUMN risk.scores.features IS 'The entity''s feature values (risk.features) by name.';
COMMENT ON COLUMN risk.scores.model_version IS 'Model that produced model_score: library, algorithm, training window and a hash of its parameters.';
COMMENT ON COLUMN risk.scores.record_ids IS 'The canonical records behind the entity (risk.features.record_ids, merged).';
COMMENT ON COLUMN risk.scores.business_date IS 'Business day scored (payroll: the pay run''s check date).';
COMMENT ON COLUMN risk.scores.domain IS 'payments, pos, settlement or payroll.';
COMMENT ON COLUMN risk.scores.entity_kind IS 'What is scored (risk.features.entity_kind).';
COMMENT ON COLUMN risk.scores.entity_id IS 'The scored entity''s key (risk.features.entity_id).';
COMMENT ON COLUMN risk.scores.store_id IS 'Store of the entity; NULL for payroll.';
COMMENT ON COLUMN risk.scores.legal_entity IS 'D365 legal entity of the entity (the model''s merchant).';
COMMENT ON COLUMN risk.scores.scored_at IS 'When the run scored the day (UTC).';
