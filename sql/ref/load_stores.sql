-- ref.stores from mappings/stores.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.stores AS
SELECT store_id, merchant_id, store_name, lower(legal_entity) AS legal_entity, upper(currency) AS currency,
       timezone, tax_code, department, valid_from
FROM read_csv($dir || '/stores.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'merchant_id': 'VARCHAR', 'store_name': 'VARCHAR', 'legal_entity': 'VARCHAR',
    'currency': 'VARCHAR', 'timezone': 'VARCHAR', 'tax_code': 'VARCHAR', 'department': 'VARCHAR',
    'valid_from': 'DATE'});
