-- ref.transaction_statuses from mappings/transaction_statuses.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.transaction_statuses AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       status_code, is_financial, description, valid_from
FROM read_csv($dir || '/transaction_statuses.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'status_code': 'VARCHAR',
    'is_financial': 'BOOLEAN', 'description': 'VARCHAR', 'valid_from': 'DATE'});
