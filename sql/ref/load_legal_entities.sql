-- ref.legal_entities from mappings/legal_entities.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.legal_entities AS
SELECT lower(legal_entity) AS legal_entity, name, upper(base_currency) AS base_currency, valid_from
FROM read_csv($dir || '/legal_entities.csv', header = true, columns = {
    'legal_entity': 'VARCHAR', 'name': 'VARCHAR', 'base_currency': 'VARCHAR', 'valid_from': 'DATE'});
