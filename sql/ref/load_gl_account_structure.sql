-- ref.gl_account_structure from mappings/gl_account_structure.csv ($dir: the mappings folder).
-- The order of the segments in a D365 AccountDisplayValue.
CREATE OR REPLACE TABLE ref.gl_account_structure AS
SELECT position, segment
FROM read_csv($dir || '/gl_account_structure.csv', header = true, columns = {
    'position': 'INTEGER', 'segment': 'VARCHAR'});
