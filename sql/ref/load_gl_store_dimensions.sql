-- ref.gl_store_dimensions from mappings/gl_store_dimensions.csv ($dir: the mappings folder).
-- Each store's dimension values, from the day they are valid.
CREATE OR REPLACE TABLE ref.gl_store_dimensions AS
SELECT store_id, trim(dimension) AS dimension, trim(value) AS value, valid_from
FROM read_csv($dir || '/gl_store_dimensions.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'dimension': 'VARCHAR', 'value': 'VARCHAR', 'valid_from': 'DATE'});
