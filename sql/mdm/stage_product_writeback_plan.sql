-- product_writeback_values: per matched SKU without variants and per Retail field whose master
-- is retail (ref.product_sync_fields), Retail's value and the D365 field it is written to:
--   description            -> ProductsV2.ProductName (shared product; SearchName holds 20 characters)
--   price, original_price  -> ReleasedProductsV2.SalesPrice (price first when both are retail's)
--   cost                   -> ReleasedProductsV2.UnitCost
--   upc                    -> a ProductBarcodesV3 row, created when D365 lacks it (as GTIN-14)
-- Only matched SKUs: a Retail-only item has no D365 product to write to, an ambiguous one is held
-- out. Variants are not written (they share the master's price and cost; their barcodes paired
-- them). An empty Retail value never clears D365's, and a UPC another D365 SKU carries is not
-- given to this one (the barcode would name two products): both refused and listed.
-- $barcode_setup: the BarcodeSetupId a created barcode gets (mappings/product_sync.csv).
CREATE OR REPLACE TEMP TABLE product_writeback_values AS
WITH skus AS (
    SELECT p.*, p.legal_entity || '/' || p.item_number AS sku, r.SalesUnitSymbol AS sales_unit
    FROM canonical.products AS p
    LEFT JOIN raw.d365_released_products AS r
      ON r.dataAreaId = p.legal_entity AND r.ItemNumber = p.item_number
    WHERE p.match_status = 'matched' AND p.product_subtype <> 'ProductVariant'
),
fields AS (
    SELECT field,
           CASE d365_source WHEN 'product_name' THEN 'ProductsV2' WHEN 'barcode' THEN 'ProductBarcodesV3'
                ELSE 'ReleasedProductsV2' END AS entity_set,
           CASE d365_source WHEN 'product_name' THEN 'ProductName' WHEN 'sales_price' THEN 'SalesPrice'
                WHEN 'unit_cost' THEN 'UnitCost' WHEN 'barcode' THEN 'Barcode' END AS d365_field
    FROM ref.product_sync_fields
    WHERE master = 'retail'
),
sourced AS (
    SELECT s.sku, s.legal_entity, s.item_number, s.product_number, s.retail_item_id,
           s.retail_snapshot_date, s.sales_unit, f.field, f.entity_set, f.d365_field,
           CASE f.field WHEN 'price' THEN s.retail_price WHEN 'original_price' THEN s.retail_original_price
                WHEN 'cost' THEN s.retail_cost END AS retail_amount,
           CASE f.d365_field WHEN 'SalesPrice' THEN s.sales_price WHEN 'UnitCost' THEN s.unit_cost END AS d365_amount,
           CASE f.field WHEN 'description' THEN s.retail_description WHEN 'upc' THEN s.upc END AS retail_text,
           CASE f.field WHEN 'description' THEN s.product_name WHEN 'upc' THEN s.barcode END AS d365_text
    FROM skus AS s CROSS JOIN fields AS f
    QUALIFY row_number() OVER (PARTITION BY s.sku, f.d365_field ORDER BY f.field = 'price' DESC, f.field) = 1
),
barcodes AS (
    SELECT dataAreaId AS legal_entity, ItemNumber AS item_number,
           ProductConfigurationId || ProductColorId || ProductSizeId || ProductStyleId || ProductVersionId = '' AS plain,
           gtin14(Barcode) AS gtin
    FROM raw.d365_product_barcodes
)
SELECT v.sku, v.legal_entity, v.item_number, v.product_number, v.retail_snapshot_date, v.field,
       v.entity_set, v.d365_field, v.sales_unit,
       coalesce(CAST(v.retail_amount AS VARCHAR), v.retail_text) AS retail_value,
       CASE WHEN v.d365_amount IS NULL THEN v.d365_text
            WHEN v.d365_amount = round(v.d365_amount, 2) THEN CAST(CAST(v.d365_amount AS DECIMAL(18, 2)) AS VARCHAR)
            ELSE CAST(v.d365_amount AS VARCHAR) END AS d365_value,
       CASE WHEN v.field = 'upc' THEN
                 v.upc_present IS NOT NULL AND NOT v.upc_present
            WHEN v.retail_amount IS NOT NULL THEN v.retail_amount IS DISTINCT FROM v.d365_amount
            ELSE coalesce(v.retail_text, '') <> '' AND v.retail_text IS DISTINCT FROM v.d365_text
       END AS differs,
       CASE WHEN v.field = 'upc' AND NOT coalesce(v.upc_present, true) AND v.other_claimant IS NOT NULL
                 THEN 'Retail UPC ' || v.retail_text || ' is already D365 barcode of ' || v.other_claimant
                      || '; not given to ' || v.item_number || ' as well (it would name two products)'
            WHEN v.field = 'upc' AND v.upc_present IS NOT NULL AND NOT v.upc_present AND $barcode_setup IS NULL
                 THEN 'Retail UPC ' || v.retail_text || ' is not in D365 and mappings/product_sync.csv names no d365_barcode_setup'
            WHEN v.field IN ('price', 'original_price', 'cost') AND v.retail_amount IS NULL
                 THEN 'Retail ' || v.field || ' is empty; D365 ' || v.d365_field || ' is not cleared'
            WHEN v.field = 'description' AND coalesce(v.retail_text, '') = ''
                 THEN 'Retail description is empty; D365 ProductName is not cleared'
       END AS refusal
FROM (
    SELECT s.*,
           CASE WHEN s.field = 'upc' AND gtin14(s.retail_text) IS NOT NULL THEN EXISTS (
               SELECT 1 FROM barcodes AS b
               WHERE b.legal_entity = s.legal_entity AND b.item_number = s.item_number AND b.plain
                 AND b.gtin = gtin14(s.retail_text)) END AS upc_present,
           CASE WHEN s.field = 'upc' THEN (
               SELECT min(b.item_number) FROM barcodes AS b
               WHERE b.legal_entity = s.legal_entity AND b.item_number <> s.item_number
                 AND b.gtin = gtin14(s.retail_text)) END AS other_claimant
    FROM sourced AS s
) AS v;

-- product_writeback_plan: one request per SKU and D365 record: a PATCH of ReleasedProductsV2
-- (SalesPrice, UnitCost) or ProductsV2 (ProductName) with Retail's differing values, versioned by
-- the Retail snapshot that showed the difference and a hash of the values (a rerun on the same
-- data plans nothing; a value changed again is a new request), and a ProductBarcodesV3 create
-- per Retail UPC D365 lacks (once per SKU and barcode, ever). A request done is not planned again.
CREATE OR REPLACE TEMP TABLE product_writeback_plan AS
WITH changes AS (
    SELECT sku, entity_set, any_value(legal_entity) AS legal_entity,
           any_value(item_number) AS item_number, any_value(product_number) AS product_number,
           any_value(retail_snapshot_date) AS retail_snapshot_date, any_value(sales_unit) AS sales_unit,
           list({'field': field, 'd365_field': d365_field, 'retail_value': retail_value, 'd365_value': d365_value}
                ORDER BY d365_field) AS changes
    FROM product_writeback_values
    WHERE differs AND refusal IS NULL
    GROUP BY sku, entity_set
),
planned AS (
    SELECT sku, legal_entity, item_number, entity_set, changes,
           CASE entity_set WHEN 'ProductBarcodesV3' THEN 'create' ELSE 'update' END AS action,
           entity_set || ':' || CASE entity_set
               WHEN 'ProductBarcodesV3' THEN changes[1].retail_value
               ELSE CAST(retail_snapshot_date AS VARCHAR) || ':'
                    || left(md5(array_to_string(list_transform(changes, lambda c: c.d365_field || '=' || c.retail_value), ';')), 12)
           END AS version,
           CASE entity_set
               WHEN 'ProductsV2' THEN to_json({'ProductNumber': product_number})
               WHEN 'ReleasedProductsV2' THEN to_json({'dataAreaId': legal_entity, 'ItemNumber': item_number})
               ELSE to_json({'dataAreaId': legal_entity, 'ItemNumber': item_number,
                             'ProductConfigurationId': '', 'ProductColorId': '', 'ProductSizeId': '',
                             'ProductStyleId': '', 'ProductVersionId': '',
                             'ProductQuantityUnitSymbol': coalesce(sales_unit, ''),
                             'BarcodeSetupId': CAST($barcode_setup AS VARCHAR),
                             'Barcode': changes[1].retail_value})
           END AS d365_key,
           -- a created barcode is the SKU's default scanned one only when D365 had none for it
           CASE WHEN entity_set = 'ProductBarcodesV3' THEN changes[1].d365_value IS NULL END AS first_barcode
    FROM changes
)
SELECT sku || '|d365|' || action || '|' || version AS request_key, *,
       list_transform(changes, lambda c: c.field) AS fields
FROM planned
WHERE sku || '|d365|' || action || '|' || version NOT IN (
    SELECT request_key FROM mdm.product_sync_requests WHERE status IN ('created', 'adopted', 'updated')
)
ORDER BY sku, entity_set;
