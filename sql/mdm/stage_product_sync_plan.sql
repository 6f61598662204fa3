-- product_sync_values: per SKU of canonical.products D365 may push, and per Retail field whose
-- master is d365 (ref.product_sync_fields), D365's value and Retail's, as text: money as whole
-- cents (a D365 price with a fraction of a cent is refused, never rounded), nothing else
-- reformatted. Matched SKUs, and D365 SKUs without a Retail item (variants excepted: a Retail
-- grid cell is not created by this sync). Ambiguous and Retail-only rows are never pushed.
CREATE OR REPLACE TEMP TABLE product_sync_values AS
WITH skus AS (
    SELECT *,
           legal_entity || '/' || item_number
           || CASE WHEN product_subtype = 'ProductVariant'
                   THEN '/' || concat_ws('/', product_configuration_id, product_color_id, product_size_id, product_style_id, product_version_id)
                   ELSE '' END AS sku
    FROM canonical.products
    WHERE match_status = 'matched'
       OR (match_status = 'unmatched_d365' AND product_subtype <> 'ProductVariant')
),
sourced AS (
    SELECT s.sku, s.legal_entity, s.item_number, s.match_status, s.retail_item_id,
           s.retail_snapshot_date, f.field,
           f.field IN ('price', 'original_price', 'cost') AS is_money,
           CASE f.d365_source WHEN 'product_name' THEN s.product_name WHEN 'barcode' THEN s.barcode END AS d365_text,
           CASE f.d365_source WHEN 'sales_price' THEN s.sales_price WHEN 'unit_cost' THEN s.unit_cost END AS d365_amount,
           CASE f.field
               WHEN 'description' THEN s.retail_description
               WHEN 'upc' THEN s.upc
               WHEN 'price' THEN CAST(s.retail_price AS VARCHAR)
               WHEN 'original_price' THEN CAST(s.retail_original_price AS VARCHAR)
               WHEN 'cost' THEN CAST(s.retail_cost AS VARCHAR)
           END AS retail_value
    FROM skus AS s
    CROSS JOIN ref.product_sync_fields AS f
    WHERE f.master = 'd365'
)
SELECT sku, legal_entity, item_number, match_status, retail_item_id, retail_snapshot_date, field,
       retail_value,
       CASE WHEN NOT is_money THEN d365_text
            WHEN d365_amount = round(d365_amount, 2) THEN CAST(CAST(d365_amount AS DECIMAL(18, 2)) AS VARCHAR)
       END AS d365_value,
       CASE WHEN is_money AND d365_amount <> round(d365_amount, 2)
            THEN 'D365 ' || field || ' ' || CAST(d365_amount AS VARCHAR)
                 || ' has a fraction of a cent; Heartland Retail keeps cents, and it is not rounded'
       END AS refusal
FROM sourced;

-- product_sync_plan: what the sync sends. A create per D365 SKU Retail lacks (version 1: once
-- per SKU, ever), an update per matched item whose D365-mastered fields differ (versioned by
-- the item, the snapshot that showed the difference and the values, so the same push is not
-- sent twice, and a difference a later snapshot still shows is pushed again). A request
-- already done (created, adopted, updated) is not planned again.
CREATE OR REPLACE TEMP TABLE product_sync_plan AS
WITH changes AS (
    SELECT sku, any_value(legal_entity) AS legal_entity, any_value(item_number) AS item_number,
           any_value(match_status) AS match_status, any_value(retail_item_id) AS retail_item_id,
           any_value(retail_snapshot_date) AS retail_snapshot_date,
           list({'field': field, 'retail_value': retail_value, 'd365_value': d365_value} ORDER BY field) AS changes
    FROM product_sync_values
    WHERE d365_value IS NOT NULL AND refusal IS NULL
      AND (match_status = 'unmatched_d365' OR d365_value IS DISTINCT FROM retail_value)
      -- an item is not created at a price other than D365's
      AND sku NOT IN (SELECT sku FROM product_sync_values WHERE refusal IS NOT NULL AND match_status = 'unmatched_d365')
    GROUP BY sku
),
planned AS (
    SELECT sku, legal_entity, item_number, changes,
           CASE match_status WHEN 'matched' THEN 'update' ELSE 'create' END AS action,
           CASE match_status WHEN 'matched'
                THEN retail_item_id || ':' || CAST(retail_snapshot_date AS VARCHAR) || ':'
                     || left(md5(array_to_string(list_transform(changes, lambda c: c.field || '=' || c.d365_value), ';')), 12)
                ELSE '1' END AS version,
           retail_item_id AS target_key
    FROM changes
)
SELECT sku || '|heartland_retail|' || action || '|' || version AS request_key, *,
       list_transform(changes, lambda c: c.field) AS fields
FROM planned
WHERE sku || '|heartland_retail|' || action || '|' || version NOT IN (
    SELECT request_key FROM mdm.product_sync_requests WHERE status IN ('created', 'adopted', 'updated')
)
ORDER BY action, sku;
