-- D365 ProductsV2: the shared products (no company), which carry the product name that
-- ReleasedProductsV2 lacks. Pulled in full each time: no modification timestamp on the entity.
CREATE TABLE IF NOT EXISTS raw.d365_products (
    ProductNumber               VARCHAR NOT NULL,
    ProductName                 VARCHAR,
    ProductSearchName           VARCHAR,
    ProductDescription          VARCHAR,
    ProductType                 VARCHAR,
    ProductSubType              VARCHAR,
    RetailProductCategoryName   VARCHAR,
    pulled_at                   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ProductNumber)
);
COMMENT ON TABLE raw.d365_products IS 'D365 ProductsV2 (shared products, every legal entity sees them through its released products), replaced by each full pull.';
COMMENT ON COLUMN raw.d365_products.ProductNumber IS 'Product number, the key; raw.d365_released_products.ProductNumber refers to it.';
COMMENT ON COLUMN raw.d365_products.ProductName IS 'Product name (the name Heartland Retail shows as the item description).';
COMMENT ON COLUMN raw.d365_products.ProductSearchName IS 'Search name of the product.';
COMMENT ON COLUMN raw.d365_products.ProductDescription IS 'Longer description.';
COMMENT ON COLUMN raw.d365_products.ProductType IS 'Item or Service.';
COMMENT ON COLUMN raw.d365_products.ProductSubType IS 'Product, ProductMaster or ProductVariant.';
COMMENT ON COLUMN raw.d365_products.RetailProductCategoryName IS 'Retail product category.';
COMMENT ON COLUMN raw.d365_products.pulled_at IS 'When the pull that wrote this row started (UTC).';
