-- ref.mdm_match_thresholds from mappings/mdm_match_thresholds.csv ($dir): the matcher's
-- thresholds and training sizes, one named value a row.
CREATE OR REPLACE TABLE ref.mdm_match_thresholds AS
SELECT lower(name) AS name, value, note
FROM read_csv($dir || '/mdm_match_thresholds.csv', header = true, columns = {
    'name': 'VARCHAR', 'value': 'DOUBLE', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.mdm_match_thresholds IS 'mappings/mdm_match_thresholds.csv as loaded: the customer matcher''s thresholds (match_probability, review_probability) and training sizes.';
COMMENT ON COLUMN ref.mdm_match_thresholds.name IS 'Setting name.';
COMMENT ON COLUMN ref.mdm_match_thresholds.value IS 'Its value (a probability or a count, not money).';
COMMENT ON COLUMN ref.mdm_match_thresholds.note IS 'Why it is set so.';
