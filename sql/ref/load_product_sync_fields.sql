-- ref.product_sync_fields from mappings/product_sync_fields.csv ($dir): per Heartland Retail item
-- field, which system is its master: d365 (D365's value is pushed to Retail), retail (Retail's
-- value is written to D365: products/writeback.py) or none (neither overwrites the other).
CREATE OR REPLACE TABLE ref.product_sync_fields AS
SELECT lower(trim(field)) AS field, lower(trim(master)) AS master, lower(trim(d365_source)) AS d365_source, note
FROM read_csv($dir || '/product_sync_fields.csv', header = true, columns = {
    'field': 'VARCHAR', 'master': 'VARCHAR', 'd365_source': 'VARCHAR', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.product_sync_fields IS 'mappings/product_sync_fields.csv as loaded: which system is master of each Heartland Retail item field the product sync knows.';
COMMENT ON COLUMN ref.product_sync_fields.field IS 'Heartland Retail item field: description, price, original_price, cost, upc (the custom field).';
COMMENT ON COLUMN ref.product_sync_fields.master IS 'd365 (D365''s value pushed to Retail), retail (Retail''s value written to D365) or none (neither written). One master per field: each field flows one way only.';
COMMENT ON COLUMN ref.product_sync_fields.d365_source IS 'The canonical.products column holding D365''s value: product_name, sales_price, unit_cost, barcode.';
COMMENT ON COLUMN ref.product_sync_fields.note IS 'Why it is set so.';
