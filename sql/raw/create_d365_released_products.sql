-- D365 ReleasedProductsV2 of every legal entity. Pulled in full each time: no modification
-- timestamp on the entity. The product name lives on ProductsV2, not here (SearchName is the
-- released product's search name).
CREATE TABLE IF NOT EXISTS raw.d365_released_products (
    dataAreaId          VARCHAR NOT NULL,
    ItemNumber          VARCHAR NOT NULL,
    ProductNumber       VARCHAR,
    SearchName          VARCHAR,
    ProductSearchName   VARCHAR,
    ProductGroupId      VARCHAR,
    ProductType         VARCHAR,
    SalesUnitSymbol     VARCHAR,
    InventoryUnitSymbol VARCHAR,
    SalesPrice          DECIMAL(18,6),
    UnitCost            DECIMAL(18,6),
    pulled_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataAreaId, ItemNumber)
);
COMMENT ON TABLE raw.d365_released_products IS 'D365 ReleasedProductsV2, all legal entities, replaced by each full pull (no modification timestamp to pull changes by).';
COMMENT ON COLUMN raw.d365_released_products.dataAreaId IS 'Legal entity (company), lower case. Key with ItemNumber.';
COMMENT ON COLUMN raw.d365_released_products.ItemNumber IS 'Item number; the sandbox catalogue SKU (SKU-10000).';
COMMENT ON COLUMN raw.d365_released_products.ProductNumber IS 'Shared product number.';
COMMENT ON COLUMN raw.d365_released_products.SearchName IS 'Search name of the released product.';
COMMENT ON COLUMN raw.d365_released_products.ProductSearchName IS 'Search name of the shared product.';
COMMENT ON COLUMN raw.d365_released_products.ProductGroupId IS 'Item group.';
COMMENT ON COLUMN raw.d365_released_products.ProductType IS 'Item or Service.';
COMMENT ON COLUMN raw.d365_released_products.SalesUnitSymbol IS 'Sales unit (ea).';
COMMENT ON COLUMN raw.d365_released_products.InventoryUnitSymbol IS 'Inventory unit.';
COMMENT ON COLUMN raw.d365_released_products.SalesPrice IS 'Base sales price per sales unit, exact decimal (up to 6 places; a value with more fails the pull rather than being rounded).';
COMMENT ON COLUMN raw.d365_released_products.UnitCost IS 'Cost price per inventory unit, exact decimal (up to 6 places).';
COMMENT ON COLUMN raw.d365_released_products.pulled_at IS 'When the pull that wrote this row started (UTC).';
-- Added for the product match and sync (canonical.products): warehouses created before gain them.
ALTER TABLE raw.d365_released_products ADD COLUMN IF NOT EXISTS ProductSubType VARCHAR;
ALTER TABLE raw.d365_released_products ADD COLUMN IF NOT EXISTS SalesSalesTaxItemGroupCode VARCHAR;
COMMENT ON COLUMN raw.d365_released_products.ProductSubType IS 'Product, ProductMaster (its SKUs are the variants in raw.d365_released_product_variants) or ProductVariant.';
COMMENT ON COLUMN raw.d365_released_products.SalesSalesTaxItemGroupCode IS 'Item sales tax group on sales.';
