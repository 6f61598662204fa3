-- ref.risk_rules from mappings/risk_rules.csv ($dir: the mappings folder): the explainable rules
-- of risk scoring, one feature compared with one threshold a row. A rule applies to the days on
-- or after its valid_from; for a day, the newest row per rule_id wins (sql/risk/score_rules.sql).
-- A typo (an unknown operator, severity or pattern domain, points outside 0..100) fails the load.
CREATE OR REPLACE TABLE ref.risk_rules AS
SELECT trim(rule_id) AS rule_id, lower(trim(domain)) AS domain,
       lower(trim(entity_kind)) AS entity_kind, trim(feature) AS feature, trim(operator) AS operator,
       threshold, points, lower(trim(severity)) AS severity, lower(trim(pattern)) AS pattern,
       reason, valid_from
FROM read_csv($dir || '/risk_rules.csv', header = true, columns = {
    'rule_id': 'VARCHAR', 'domain': 'VARCHAR', 'entity_kind': 'VARCHAR', 'feature': 'VARCHAR',
    'operator': 'VARCHAR', 'threshold': 'DOUBLE', 'points': 'INTEGER', 'severity': 'VARCHAR',
    'pattern': 'VARCHAR', 'reason': 'VARCHAR', 'valid_from': 'DATE'});
SELECT error('mappings/risk_rules.csv: rule ' || rule_id || ' has operator "' || operator
             || '", severity "' || severity || '" or points ' || points
             || ' (need >=, >, <=, <; high, medium, low; 0..100)')
FROM ref.risk_rules
WHERE operator NOT IN ('>=', '>', '<=', '<') OR severity NOT IN ('high', 'medium', 'low')
   OR points NOT BETWEEN 0 AND 100 OR rule_id IS NULL OR valid_from IS NULL OR threshold IS NULL;
COMMENT ON TABLE ref.risk_rules IS 'mappings/risk_rules.csv as loaded: the rules of risk scoring, each one feature of risk.features compared with a threshold, worth points towards the score (docs/risk.md).';
COMMENT ON COLUMN ref.risk_rules.rule_id IS 'Rule id; several rows of one id are its versions, the newest valid_from on or before a day wins.';
COMMENT ON COLUMN ref.risk_rules.domain IS 'payments, pos, settlement or payroll: the features file the feature comes from.';
COMMENT ON COLUMN ref.risk_rules.entity_kind IS 'The kind of scored entity (risk.features.entity_kind).';
COMMENT ON COLUMN ref.risk_rules.feature IS 'The feature compared (risk.features.feature).';
COMMENT ON COLUMN ref.risk_rules.operator IS '>=, >, <= or <: value operator threshold fires the rule.';
COMMENT ON COLUMN ref.risk_rules.threshold IS 'The threshold (a count, ratio or robust z-score).';
COMMENT ON COLUMN ref.risk_rules.points IS 'Points (0..100) the rule adds to the score when it fires.';
COMMENT ON COLUMN ref.risk_rules.severity IS 'high, medium or low: an alert is as severe as its strongest fired rule.';
COMMENT ON COLUMN ref.risk_rules.pattern IS 'The fraud pattern it stands for (hl_d365_assets/risk/patterns.py).';
COMMENT ON COLUMN ref.risk_rules.reason IS 'The reason in words, with {value}, {threshold} and {evidence} filled in when it fires.';
COMMENT ON COLUMN ref.risk_rules.valid_from IS 'First business day the row applies to.';
