-- ref.gl_account_structure from mappings/gl_account_structure.csv ($dir: the mappings folder).
-- The order of the segments in a D365 AccountDisplayValue.
CREATE OR REPLACE TABLE ref.gl_account_structure AS
SELECT position, segment
FROM read_csv($dir || '/gl_account_structure.csv', header = true, columns = {
    'position': 'INTEGER', 'segment': 'VARCHAR'});
COMMENT ON TABLE ref.gl_account_structure IS 'mappings/gl_account_structure.csv as loaded: the segments of a D365 AccountDisplayValue, in order.';
COMMENT ON COLUMN ref.gl_account_structure.position IS 'Position of the segment in the AccountDisplayValue, from 1.';
COMMENT ON COLUMN ref.gl_account_structure.segment IS 'MainAccount or a financial dimension name (BusinessUnit, Department), as in ref.gl_store_dimensions.dimension.';
