-- ref.risk_settings from mappings/risk_settings.csv ($dir): risk scoring's thresholds, one named
-- value a row (alert score, severity, model, window, risk hold), which finance and risk edit.
CREATE OR REPLACE TABLE ref.risk_settings AS
SELECT lower(trim(name)) AS name, value, note
FROM read_csv($dir || '/risk_settings.csv', header = true, columns = {
    'name': 'VARCHAR', 'value': 'DOUBLE', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.risk_settings IS 'mappings/risk_settings.csv as loaded: the alert score, severity and model thresholds, the trailing window and the risk hold threshold (docs/risk.md).';
COMMENT ON COLUMN ref.risk_settings.name IS 'Setting name.';
COMMENT ON COLUMN ref.risk_settings.value IS 'Its value (a score, a count or a number of days; never money).';
COMMENT ON COLUMN ref.risk_settings.note IS 'What it does and why it is set so.';
