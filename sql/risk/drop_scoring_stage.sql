DROP TABLE IF EXISTS risk_model_scores;
DROP TABLE IF EXISTS risk_entities;
DROP TABLE IF EXISTS risk_fired_rules;
