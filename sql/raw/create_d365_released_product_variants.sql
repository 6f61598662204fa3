-- D365 ReleasedProductVariantsV2 of every legal entity: the SKUs of product masters, each the
-- master's item number and its product dimensions (a Heartland Retail grid cell). Pulled in
-- full each time: no modification timestamp on the entity.
CREATE TABLE IF NOT EXISTS raw.d365_released_product_variants (
    dataAreaId              VARCHAR NOT NULL,
    ProductMasterNumber     VARCHAR NOT NULL,
    ProductConfigurationId  VARCHAR NOT NULL,
    ProductColorId          VARCHAR NOT NULL,
    ProductSizeId           VARCHAR NOT NULL,
    ProductStyleId          VARCHAR NOT NULL,
    ProductVersionId        VARCHAR NOT NULL,
    ItemNumber              VARCHAR,
    ProductVariantNumber    VARCHAR,
    ProductName             VARCHAR,
    pulled_at               TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataAreaId, ProductMasterNumber, ProductConfigurationId, ProductColorId,
                 ProductSizeId, ProductStyleId, ProductVersionId)
);
COMMENT ON TABLE raw.d365_released_product_variants IS 'D365 ReleasedProductVariantsV2, all legal entities: a product master''s SKUs (item number + product dimensions), replaced by each full pull.';
COMMENT ON COLUMN raw.d365_released_product_variants.dataAreaId IS 'Legal entity (company), lower case.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductMasterNumber IS 'Product number of the product master.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductConfigurationId IS 'Configuration dimension; empty when the master does not use it.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductColorId IS 'Colour dimension; empty when the master does not use it.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductSizeId IS 'Size dimension; empty when the master does not use it.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductStyleId IS 'Style dimension; empty when the master does not use it.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductVersionId IS 'Version dimension; empty when the master does not use it.';
COMMENT ON COLUMN raw.d365_released_product_variants.ItemNumber IS 'Item number of the released product master (a variant has no item number of its own).';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductVariantNumber IS 'Product number of the variant.';
COMMENT ON COLUMN raw.d365_released_product_variants.ProductName IS 'Name of the variant.';
COMMENT ON COLUMN raw.d365_released_product_variants.pulled_at IS 'When the pull that wrote this row started (UTC).';
