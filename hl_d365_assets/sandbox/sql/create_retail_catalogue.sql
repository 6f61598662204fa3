-- retail_items_documents, retail_item_grids_documents: the catalogue as Heartland Retail serves
-- it (docs/heartland_retail.md): one item per SKU of products.py at the price and cost the
-- baskets use, the apparel SKUs cells of a Size x Color grid. A catalogue document never changes,
-- so its created_at and updated_at are the catalogue's one load time.
--
-- Variables set by retail_store.py: retail_catalog_skus, retail_catalog_descriptions,
-- retail_item_grids (0: not in a grid), retail_item_sizes, retail_item_colors,
-- retail_grid_names, retail_catalogue_time.

-- UPC-A: manufacturer prefix 084217, the SKU number, and the check digit (odd positions x 3).
CREATE OR REPLACE MACRO retail_upc_body(p_sku) AS '084217' || lpad(p_sku::VARCHAR, 5, '0');
CREATE OR REPLACE MACRO retail_upc(p_sku) AS retail_upc_body(p_sku) || (
    (10 - list_sum(list_transform(range(1, 12), lambda i:
        substr(retail_upc_body(p_sku), i, 1)::INTEGER * CASE WHEN i % 2 = 1 THEN 3 ELSE 1 END)) % 10) % 10
)::VARCHAR;

CREATE OR REPLACE VIEW retail_items_documents AS
WITH items AS (
    SELECT
        r.sku,
        getvariable('retail_catalog_skus')[1 + r.sku] AS public_id,
        getvariable('retail_catalog_descriptions')[1 + r.sku] AS description,
        getvariable('catalog_prices')[1 + r.sku] AS price,
        getvariable('catalog_costs')[1 + r.sku] AS cost,
        getvariable('retail_item_grids')[1 + r.sku] AS grid,
        getvariable('retail_item_sizes')[1 + r.sku] AS size,
        getvariable('retail_item_colors')[1 + r.sku] AS color
    FROM range(getvariable('catalog_size')) AS r(sku)
)

SELECT
    sku AS sort_key,
    concat(
        '{"id":', retail_item_id(sku),
        ',"public_id":', to_json(public_id),
        ',"description":', to_json(description),
        ',"long_description":', to_json('<p>' || description || '</p>'),
        ',"cost":', money_json(cost),
        ',"original_price":', money_json(price),
        ',"price":', money_json(price),
        ',"active":true,"primary_vendor_id":', 1 + sku % 5,
        ',"grid_id":', CASE WHEN grid = 0 THEN 'null' ELSE retail_item_grid_id(grid)::VARCHAR END,
        ',"custom":{"upc":"', retail_upc(sku),
        '","size":', coalesce(to_json(size)::VARCHAR, 'null'),
        ',"color":', coalesce(to_json(color)::VARCHAR, 'null'),
        '},"created_at":"', getvariable('retail_catalogue_time'),
        '","updated_at":"', getvariable('retail_catalogue_time'),
        '"}'
    ) AS line
FROM items;

CREATE OR REPLACE VIEW retail_item_grids_documents AS
SELECT
    g.grid AS sort_key,
    concat(
        '{"id":', retail_item_grid_id(g.grid),
        ',"name":', to_json(getvariable('retail_grid_names')[g.grid]),
        ',"dimensions":["Size","Color"],"created_at":"', getvariable('retail_catalogue_time'),
        '","updated_at":"', getvariable('retail_catalogue_time'),
        '"}'
    ) AS line
FROM range(1, len(getvariable('retail_grid_names')) + 1) AS g(grid);
