-- ref.payment_methods from mappings/payment_methods.csv ($dir: the mappings folder).
CREATE OR REPLACE TABLE ref.payment_methods AS
SELECT source_field, upper(replace(trim(source_value), ' ', '_')) AS source_value,
       payment_method_code, description, valid_from
FROM read_csv($dir || '/payment_methods.csv', header = true, columns = {
    'source_field': 'VARCHAR', 'source_value': 'VARCHAR', 'payment_method_code': 'VARCHAR',
    'description': 'VARCHAR', 'valid_from': 'DATE'});
