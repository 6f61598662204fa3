-- ref.product_sync from mappings/product_sync.csv ($dir): the D365 company whose released
-- products are the Heartland Retail catalogue, one named value a row.
CREATE OR REPLACE TABLE ref.product_sync AS
SELECT lower(name) AS name, value, note
FROM read_csv($dir || '/product_sync.csv', header = true, columns = {
    'name': 'VARCHAR', 'value': 'VARCHAR', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.product_sync IS 'mappings/product_sync.csv as loaded: the D365 company matched to the Heartland Retail catalogue.';
COMMENT ON COLUMN ref.product_sync.name IS 'Setting name.';
COMMENT ON COLUMN ref.product_sync.value IS 'Its value.';
COMMENT ON COLUMN ref.product_sync.note IS 'Why it is set so.';
