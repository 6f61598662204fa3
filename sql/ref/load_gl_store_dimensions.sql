-- ref.gl_store_dimensions from mappings/gl_store_dimensions.csv ($dir: the mappings folder).
-- Each store's dimension values, from the day they are valid.
CREATE OR REPLACE TABLE ref.gl_store_dimensions AS
SELECT store_id, trim(dimension) AS dimension, trim(value) AS value, valid_from
FROM read_csv($dir || '/gl_store_dimensions.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'dimension': 'VARCHAR', 'value': 'VARCHAR', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.gl_store_dimensions IS 'mappings/gl_store_dimensions.csv as loaded: each store''s financial dimension values, for lines whose rule says dimensions = store. On a day, the value with the newest valid_from on or before it wins.';
COMMENT ON COLUMN ref.gl_store_dimensions.store_id IS 'Store (S001), as in ref.stores.';
COMMENT ON COLUMN ref.gl_store_dimensions.dimension IS 'Financial dimension (BusinessUnit, Department), a segment of ref.gl_account_structure.';
COMMENT ON COLUMN ref.gl_store_dimensions.value IS 'The store''s value of the dimension (001, RETAIL); must be in ref.gl_dimension_values.';
COMMENT ON COLUMN ref.gl_store_dimensions.valid_from IS 'First business day the value applies.';
