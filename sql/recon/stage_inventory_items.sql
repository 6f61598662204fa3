-- inventory_items: which D365 item (ItemNumber and its five product dimensions) each Heartland
-- Retail item of $first..$last is, per legal entity holding stock of mapped stores. THE one
-- place recon.inventory and the order stock check join items across the two systems.
--
-- For now by item number: the Retail item's public_id (Item #) is the D365 ItemNumber, with no
-- product dimensions — true of the sandbox, where both catalogues come from one list. Once
-- canonical.products exists (issue 16 item 4: barcode/UPC first, then item number) this file
-- reads it instead, keeping these columns:
--   SELECT legal_entity, retail_item_id, retail_public_id, item_number, product_color_id,
--          product_size_id, product_style_id, product_configuration_id
--   FROM canonical.products WHERE retail_item_id IS NOT NULL AND item_number IS NOT NULL
CREATE OR REPLACE TEMP TABLE inventory_items AS
SELECT DISTINCT
    w.legal_entity,
    i.item_id AS retail_item_id,
    i.sku AS retail_public_id,
    i.sku AS item_number,
    '' AS product_color_id,
    '' AS product_size_id,
    '' AS product_style_id,
    '' AS product_configuration_id
FROM canonical.items AS i
CROSS JOIN (SELECT DISTINCT legal_entity FROM ref.store_warehouses) AS w
WHERE i.business_date BETWEEN $first AND $last AND i.sku IS NOT NULL;
