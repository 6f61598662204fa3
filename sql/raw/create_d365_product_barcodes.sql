-- D365 ProductBarcodesV3 of every legal entity: the barcodes of each SKU (item number + product
-- dimensions), which match Heartland Retail items by UPC. Pulled in full each time: no
-- modification timestamp on the entity.
CREATE TABLE IF NOT EXISTS raw.d365_product_barcodes (
    dataAreaId                  VARCHAR NOT NULL,
    ItemNumber                  VARCHAR NOT NULL,
    ProductConfigurationId      VARCHAR NOT NULL,
    ProductColorId              VARCHAR NOT NULL,
    ProductSizeId               VARCHAR NOT NULL,
    ProductStyleId              VARCHAR NOT NULL,
    ProductVersionId            VARCHAR NOT NULL,
    ProductQuantityUnitSymbol   VARCHAR NOT NULL,
    BarcodeSetupId              VARCHAR NOT NULL,
    Barcode                     VARCHAR NOT NULL,
    ProductQuantity             DECIMAL(18,6),
    IsDefaultScannedBarcode     VARCHAR,
    IsDefaultDisplayedBarcode   VARCHAR,
    IsDefaultPrintedBarcode     VARCHAR,
    pulled_at                   TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE raw.d365_product_barcodes IS 'D365 ProductBarcodesV3, all legal entities: barcodes per SKU, replaced by each full pull. D365 does not stop two products claiming one barcode; canonical.products lists such a barcode as an exception and matches nothing by it.';
COMMENT ON COLUMN raw.d365_product_barcodes.dataAreaId IS 'Legal entity (company), lower case.';
COMMENT ON COLUMN raw.d365_product_barcodes.ItemNumber IS 'Item number of the released product (of the master, for a variant).';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductConfigurationId IS 'Configuration dimension of the SKU; empty for a product without variants.';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductColorId IS 'Colour dimension of the SKU; empty for a product without variants.';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductSizeId IS 'Size dimension of the SKU; empty for a product without variants.';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductStyleId IS 'Style dimension of the SKU; empty for a product without variants.';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductVersionId IS 'Version dimension of the SKU; empty for a product without variants.';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductQuantityUnitSymbol IS 'Unit the barcode scans (ea).';
COMMENT ON COLUMN raw.d365_product_barcodes.BarcodeSetupId IS 'Barcode setup (symbology), e.g. UPC-A.';
COMMENT ON COLUMN raw.d365_product_barcodes.Barcode IS 'The barcode as D365 holds it.';
COMMENT ON COLUMN raw.d365_product_barcodes.ProductQuantity IS 'Quantity one scan means.';
COMMENT ON COLUMN raw.d365_product_barcodes.IsDefaultScannedBarcode IS 'Yes when it is the SKU''s default barcode for scanning.';
COMMENT ON COLUMN raw.d365_product_barcodes.IsDefaultDisplayedBarcode IS 'Yes when it is the barcode displayed by default.';
COMMENT ON COLUMN raw.d365_product_barcodes.IsDefaultPrintedBarcode IS 'Yes when it is the barcode printed by default.';
COMMENT ON COLUMN raw.d365_product_barcodes.pulled_at IS 'When the pull that wrote this row started (UTC).';
