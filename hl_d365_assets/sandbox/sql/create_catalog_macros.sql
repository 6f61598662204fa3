-- The sandbox's product catalogue prices (products.py holds the names). Run before
-- create_macros.sql: the generator evaluates prices and costs once into the catalog_prices /
-- catalog_costs lists that basket macros index by SKU number.

-- Prices and costs depend on the seed only, so they do not move between days or stores.
CREATE OR REPLACE MACRO catalog_price(p_sku) AS
    ((2 + hash(hash(getvariable('seed'), p_sku, 'price')) % 60) * 100 - 1)::BIGINT;
CREATE OR REPLACE MACRO catalog_cost(p_sku) AS
    (catalog_price(p_sku) * (35 + hash(hash(getvariable('seed'), p_sku, 'margin')) % 30)::BIGINT // 100);
