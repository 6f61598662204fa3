DROP TABLE IF EXISTS risk_model_sampling;
DROP TABLE IF EXISTS risk_model_columns;
DROP TABLE IF EXISTS risk_model_training;
DROP TABLE IF EXISTS risk_model_groups;
