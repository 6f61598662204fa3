-- ref.legal_entities from mappings/legal_entities.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.legal_entities AS
SELECT lower(legal_entity) AS legal_entity, name, upper(base_currency) AS base_currency, valid_from
FROM read_csv($dir || '/legal_entities.csv', header = true, columns = {
    'legal_entity': 'VARCHAR', 'name': 'VARCHAR', 'base_currency': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.legal_entities IS 'mappings/legal_entities.csv as loaded: the D365 legal entities stores book into, and their accounting currency.';
COMMENT ON COLUMN ref.legal_entities.legal_entity IS 'D365 legal entity (dataAreaId), lower case (usrt).';
COMMENT ON COLUMN ref.legal_entities.name IS 'Legal entity name, for people.';
COMMENT ON COLUMN ref.legal_entities.base_currency IS 'Accounting currency, upper case: every amount also gets a base_* figure in it.';
COMMENT ON COLUMN ref.legal_entities.valid_from IS 'Day the row took effect, as recorded in the file; the journals take the base currency of the row with the newest valid_from, the canonical layer matches on legal_entity alone.';
