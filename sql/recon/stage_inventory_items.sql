-- inventory_items: which D365 item (ItemNumber and its five product dimensions) each Heartland
-- Retail item of $first..$last is, per legal entity holding stock of mapped stores. THE one
-- place recon.inventory and the order stock check join items across the two systems.
--
-- The product match decides (canonical.products: barcode = UPC first, then item number; a
-- barcode two products claim is matched to neither, so its stock shows as missing on one side,
-- never compared against a guess). Before the match has ever run (canonical.products empty), the
-- Retail item's public_id (Item #) is taken as the D365 ItemNumber, with no product dimensions;
-- stock.reconcile says in its metadata which of the two joined the day.
CREATE OR REPLACE TEMP TABLE inventory_items AS
SELECT DISTINCT
    lower(p.legal_entity) AS legal_entity,
    p.retail_item_id,
    p.retail_public_id,
    p.item_number,
    coalesce(p.product_color_id, '') AS product_color_id,
    coalesce(p.product_size_id, '') AS product_size_id,
    coalesce(p.product_style_id, '') AS product_style_id,
    coalesce(p.product_configuration_id, '') AS product_configuration_id
FROM canonical.products AS p
WHERE p.match_status = 'matched' AND p.retail_item_id IS NOT NULL AND p.item_number IS NOT NULL
UNION ALL
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
WHERE i.business_date BETWEEN $first AND $last AND i.sku IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM canonical.products);
