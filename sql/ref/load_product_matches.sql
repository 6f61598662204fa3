-- ref.product_matches from mappings/product_matches.csv ($dir): finance's explicit pairs of a
-- Heartland Retail item with a D365 item number, for a product whose barcode and item number
-- do not pair it (the product match reads them before either rule).
CREATE OR REPLACE TABLE ref.product_matches AS
SELECT trim(retail_item_id) AS retail_item_id, trim(d365_item_number) AS d365_item_number,
       description, valid_from
FROM read_csv($dir || '/product_matches.csv', header = true, columns = {
    'retail_item_id': 'VARCHAR', 'd365_item_number': 'VARCHAR', 'description': 'VARCHAR',
    'valid_from': 'DATE'});
COMMENT ON TABLE ref.product_matches IS 'mappings/product_matches.csv as loaded: a Heartland Retail item paired with a D365 item number by a person, winning over the barcode and item-number rules. For an item, the row with the newest valid_from on or before the Retail snapshot applies.';
COMMENT ON COLUMN ref.product_matches.retail_item_id IS 'Heartland Retail item id (raw.retail_items.item_id), not the Item # (public_id), which two items may share.';
COMMENT ON COLUMN ref.product_matches.d365_item_number IS 'D365 item number of the company in mappings/product_sync.csv (a released product without variants).';
COMMENT ON COLUMN ref.product_matches.description IS 'Why the pair holds, for people (an approved suggestion names its id).';
COMMENT ON COLUMN ref.product_matches.valid_from IS 'First Retail snapshot day the pair applies.';
