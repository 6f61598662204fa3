-- ref.gl_dimension_values from mappings/gl_dimension_values.csv ($dir: the mappings folder).
-- The financial dimension values we may post to.
CREATE OR REPLACE TABLE ref.gl_dimension_values AS
SELECT trim(dimension) AS dimension, trim(value) AS value, description
FROM read_csv($dir || '/gl_dimension_values.csv', header = true, columns = {
    'dimension': 'VARCHAR', 'value': 'VARCHAR', 'description': 'VARCHAR'});
