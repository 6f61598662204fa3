-- Rebuild canonical.products: the D365 SKUs of $company against the newest Heartland Retail item
-- snapshot. A person's explicit pair first: the newest row of ref.product_matches valid on the
-- snapshot names the D365 item number (a SKU without variants) of a Retail item; it wins over
-- both rules below, and over a barcode claimed twice. A SKU two items' rows name pairs neither.
-- Then unique identifiers: a D365 barcode equal to a Retail UPC (as GTIN-14 digits)
-- pairs them, when the barcode names one SKU and one item. A barcode two SKUs (or two items)
-- claim is ambiguous: every SKU and item carrying it is held out of matching, by barcode and
-- by item number alike, and listed, never paired by guess. Then item number = public_id, for
-- SKUs without variants (a variant shares its master's item number, so only its barcode names
-- it). What is left is unmatched on its side. $now: when the match is built.
CREATE OR REPLACE TEMP TABLE product_d365_skus AS
WITH released AS (
    SELECT r.*, p.ProductName
    FROM raw.d365_released_products AS r
    LEFT JOIN raw.d365_products AS p USING (ProductNumber)
    WHERE r.dataAreaId = $company
)
SELECT dataAreaId AS legal_entity, ItemNumber AS item_number, '' AS product_color_id,
       '' AS product_size_id, '' AS product_style_id, '' AS product_configuration_id,
       '' AS product_version_id, ProductNumber AS product_number,
       coalesce(nullif(ProductSubType, ''), 'Product') AS product_subtype,
       coalesce(nullif(ProductName, ''), SearchName) AS product_name,
       SalesPrice AS sales_price, UnitCost AS unit_cost,
       SalesSalesTaxItemGroupCode AS sales_tax_item_group, pulled_at AS d365_pulled_at
FROM released
WHERE coalesce(ProductSubType, '') <> 'ProductMaster'
UNION ALL
SELECT v.dataAreaId, v.ItemNumber, v.ProductColorId, v.ProductSizeId, v.ProductStyleId,
       v.ProductConfigurationId, v.ProductVersionId, v.ProductVariantNumber, 'ProductVariant',
       coalesce(nullif(v.ProductName, ''), m.ProductName, m.SearchName), m.SalesPrice, m.UnitCost,
       m.SalesSalesTaxItemGroupCode, v.pulled_at
FROM raw.d365_released_product_variants AS v
JOIN released AS m ON m.ItemNumber = v.ItemNumber;

-- Every barcode of a SKU above, as GTIN-14; the SKU key joins the five dimension ids.
CREATE OR REPLACE TEMP TABLE product_d365_barcodes AS
SELECT DISTINCT s.legal_entity, s.item_number, s.product_color_id, s.product_size_id,
       s.product_style_id, s.product_configuration_id, s.product_version_id,
       b.Barcode AS barcode, gtin14(b.Barcode) AS gtin, b.IsDefaultScannedBarcode = 'Yes' AS is_default
FROM raw.d365_product_barcodes AS b
JOIN product_d365_skus AS s
  ON s.legal_entity = b.dataAreaId AND s.item_number = b.ItemNumber
 AND s.product_color_id = b.ProductColorId AND s.product_size_id = b.ProductSizeId
 AND s.product_style_id = b.ProductStyleId
 AND s.product_configuration_id = b.ProductConfigurationId
 AND s.product_version_id = b.ProductVersionId
WHERE gtin14(b.Barcode) IS NOT NULL;

-- The newest item snapshot, each item in its latest version there.
CREATE OR REPLACE TEMP TABLE product_retail_items AS
WITH snapshot AS (SELECT max(business_date) AS business_date FROM raw.retail_items)
SELECT v.item_id, v.public_id, v.upc, gtin14(v.upc) AS gtin, v.description, v.price,
       v.original_price, v.cost, v.active, v.grid_id, v.size, v.color, v.business_date
FROM (
    SELECT arg_max(i, (i.updated_at, i.received_at, i.line_number)) AS v
    FROM raw.retail_items AS i
    WHERE i.business_date = (SELECT business_date FROM snapshot)
    GROUP BY i.item_id
);

CREATE OR REPLACE TEMP TABLE product_ambiguous_gtins AS
WITH claims AS (
    SELECT gtin, min(barcode) AS barcode,
           list_sort(list(DISTINCT item_number
               || CASE WHEN concat(product_configuration_id, product_color_id, product_size_id, product_style_id, product_version_id) = '' THEN ''
                       ELSE ' (' || concat_ws('/', product_configuration_id, product_color_id, product_size_id, product_style_id, product_version_id) || ')' END)) AS d365_claimants
    FROM product_d365_barcodes GROUP BY gtin
),
items AS (
    SELECT gtin, min(upc) AS upc, list_sort(list(public_id || ' (item ' || item_id || ')')) AS retail_claimants
    FROM product_retail_items WHERE gtin IS NOT NULL GROUP BY gtin
)
SELECT gtin, coalesce(c.barcode, i.upc) AS barcode,
       'barcode ' || coalesce(c.barcode, i.upc) || ' is claimed by D365 '
       || coalesce(array_to_string(c.d365_claimants, ', '), 'no SKU')
       || ' and by Heartland Retail ' || coalesce(array_to_string(i.retail_claimants, ', '), 'no item')
       || ': none of them is matched until one product keeps it' AS detail
FROM claims AS c FULL JOIN items AS i USING (gtin)
WHERE len(coalesce(c.d365_claimants, [])) > 1 OR len(coalesce(i.retail_claimants, [])) > 1;

CREATE OR REPLACE TEMP TABLE product_held_skus AS
SELECT DISTINCT b.legal_entity, b.item_number, b.product_color_id, b.product_size_id,
       b.product_style_id, b.product_configuration_id, b.product_version_id, a.detail
FROM product_d365_barcodes AS b JOIN product_ambiguous_gtins AS a USING (gtin);

CREATE OR REPLACE TEMP TABLE product_held_items AS
SELECT r.item_id, a.detail
FROM product_retail_items AS r JOIN product_ambiguous_gtins AS a USING (gtin);

CREATE OR REPLACE TEMP TABLE product_pairs AS
WITH sku_keys AS (
    SELECT s.*, NOT EXISTS (
        SELECT 1 FROM product_held_skus AS h
        WHERE (h.legal_entity, h.item_number, h.product_color_id, h.product_size_id, h.product_style_id, h.product_configuration_id, h.product_version_id)
            = (s.legal_entity, s.item_number, s.product_color_id, s.product_size_id, s.product_style_id, s.product_configuration_id, s.product_version_id)
    ) AS free
    FROM product_d365_skus AS s
),
explicit AS (
    SELECT m.retail_item_id AS item_id, m.d365_item_number
    FROM ref.product_matches AS m
    WHERE m.valid_from <= (SELECT max(business_date) FROM product_retail_items)
    QUALIFY row_number() OVER (PARTITION BY m.retail_item_id ORDER BY m.valid_from DESC) = 1
),
by_mapping_file AS (
    SELECT s.legal_entity, s.item_number, s.product_color_id, s.product_size_id, s.product_style_id,
           s.product_configuration_id, s.product_version_id, r.item_id, NULL AS barcode,
           'mapping_file' AS match_rule
    FROM explicit AS e
    JOIN product_retail_items AS r USING (item_id)
    JOIN product_d365_skus AS s ON s.item_number = e.d365_item_number
    WHERE s.product_subtype <> 'ProductVariant'
      AND e.d365_item_number NOT IN (
          SELECT d365_item_number FROM explicit GROUP BY d365_item_number HAVING count(*) > 1)
),
free_items AS (
    SELECT * FROM product_retail_items
    WHERE item_id NOT IN (SELECT item_id FROM product_held_items)
      AND item_id NOT IN (SELECT item_id FROM by_mapping_file)
),
by_barcode AS (
    SELECT b.legal_entity, b.item_number, b.product_color_id, b.product_size_id, b.product_style_id,
           b.product_configuration_id, b.product_version_id, r.item_id, b.barcode, 'barcode' AS match_rule
    FROM product_d365_barcodes AS b
    JOIN free_items AS r USING (gtin)
    WHERE b.gtin NOT IN (SELECT gtin FROM product_ambiguous_gtins)
      AND (b.legal_entity, b.item_number) NOT IN (SELECT (legal_entity, item_number) FROM by_mapping_file)
    QUALIFY row_number() OVER (PARTITION BY r.item_id ORDER BY b.is_default DESC, b.barcode) = 1
),
by_item_number AS (
    SELECT s.legal_entity, s.item_number, s.product_color_id, s.product_size_id, s.product_style_id,
           s.product_configuration_id, s.product_version_id, r.item_id, NULL AS barcode, 'item_number' AS match_rule
    FROM sku_keys AS s
    JOIN free_items AS r ON r.public_id = s.item_number
    WHERE s.free AND s.product_subtype <> 'ProductVariant'
      AND (s.legal_entity, s.item_number) NOT IN (SELECT (legal_entity, item_number) FROM by_barcode)
      AND (s.legal_entity, s.item_number) NOT IN (SELECT (legal_entity, item_number) FROM by_mapping_file)
      AND r.item_id NOT IN (SELECT item_id FROM by_barcode)
      AND s.item_number NOT IN (
          SELECT public_id FROM free_items GROUP BY public_id HAVING count(*) > 1)
)
SELECT * FROM by_mapping_file UNION ALL SELECT * FROM by_barcode UNION ALL SELECT * FROM by_item_number;

DELETE FROM canonical.products;

INSERT INTO canonical.products BY NAME
WITH sku_rows AS (
    SELECT s.*,
           coalesce(p.barcode, (SELECT min_by(b.barcode, (NOT b.is_default, b.barcode)) FROM product_d365_barcodes AS b
                                WHERE (b.legal_entity, b.item_number, b.product_color_id, b.product_size_id, b.product_style_id, b.product_configuration_id, b.product_version_id)
                                    = (s.legal_entity, s.item_number, s.product_color_id, s.product_size_id, s.product_style_id, s.product_configuration_id, s.product_version_id))) AS barcode,
           p.item_id AS retail_item_id, p.match_rule, h.detail AS held_detail
    FROM product_d365_skus AS s
    LEFT JOIN product_pairs AS p USING (legal_entity, item_number, product_color_id, product_size_id, product_style_id, product_configuration_id, product_version_id)
    LEFT JOIN (SELECT legal_entity, item_number, product_color_id, product_size_id, product_style_id, product_configuration_id, product_version_id, any_value(detail) AS detail
               FROM product_held_skus GROUP BY ALL) AS h
      USING (legal_entity, item_number, product_color_id, product_size_id, product_style_id, product_configuration_id, product_version_id)
),
all_rows AS (
    SELECT s.legal_entity, s.item_number, s.product_color_id, s.product_size_id, s.product_style_id,
           s.product_configuration_id, s.product_version_id, s.product_number, s.product_subtype,
           s.product_name, s.barcode, s.sales_price, s.unit_cost, s.sales_tax_item_group,
           s.d365_pulled_at, s.retail_item_id, s.match_rule,
           CASE WHEN s.retail_item_id IS NOT NULL THEN 'matched'
                WHEN s.held_detail IS NOT NULL THEN 'ambiguous_barcode'
                ELSE 'unmatched_d365' END AS match_status,
           CASE WHEN s.retail_item_id IS NOT NULL THEN NULL
                WHEN s.held_detail IS NOT NULL THEN s.held_detail
                WHEN s.barcode IS NULL THEN 'the SKU has no barcode and no Heartland Retail item has Item # ' || s.item_number
                ELSE 'no Heartland Retail item has UPC ' || s.barcode
                     || CASE WHEN s.product_subtype = 'ProductVariant' THEN '' ELSE ' or Item # ' || s.item_number END
           END AS match_detail
    FROM sku_rows AS s
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           r.item_id, NULL,
           CASE WHEN h.item_id IS NOT NULL THEN 'ambiguous_barcode' ELSE 'unmatched_retail' END,
           coalesce(h.detail, 'no D365 SKU of ' || $company || ' has '
                    || CASE WHEN r.upc IS NULL THEN '' ELSE 'barcode ' || r.upc || ' or ' END
                    || 'item number ' || r.public_id)
    FROM product_retail_items AS r
    LEFT JOIN product_held_items AS h USING (item_id)
    WHERE r.item_id NOT IN (SELECT item_id FROM product_pairs)
)
SELECT a.*, r.public_id AS retail_public_id, r.upc, r.description AS retail_description,
       r.price AS retail_price, r.original_price AS retail_original_price, r.cost AS retail_cost,
       r.active AS retail_active, r.grid_id, r.size AS grid_size, r.color AS grid_color,
       r.business_date AS retail_snapshot_date, $now AS built_at
FROM all_rows AS a
LEFT JOIN product_retail_items AS r ON r.item_id = a.retail_item_id;
