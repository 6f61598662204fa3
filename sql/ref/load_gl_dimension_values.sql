-- ref.gl_dimension_values from mappings/gl_dimension_values.csv ($dir: the mappings folder).
-- The financial dimension values we may post to.
CREATE OR REPLACE TABLE ref.gl_dimension_values AS
SELECT trim(dimension) AS dimension, trim(value) AS value, description
FROM read_csv($dir || '/gl_dimension_values.csv', header = true, columns = {
    'dimension': 'VARCHAR', 'value': 'VARCHAR', 'description': 'VARCHAR'});
COMMENT ON TABLE ref.gl_dimension_values IS 'mappings/gl_dimension_values.csv as loaded: the financial dimension values journals may post to. The accounts_in_chart check fails a journal line using any other; mappings_exist_in_d365 checks these against D365.';
COMMENT ON COLUMN ref.gl_dimension_values.dimension IS 'Financial dimension (BusinessUnit, Department).';
COMMENT ON COLUMN ref.gl_dimension_values.value IS 'A value of the dimension (001, RETAIL), as it appears in an AccountDisplayValue.';
COMMENT ON COLUMN ref.gl_dimension_values.description IS 'What the value stands for (the store or department name).';
