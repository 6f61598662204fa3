-- The product match: one row per D365 SKU of the Retail catalogue's company paired with its
-- Heartland Retail item, or a SKU or item found on one side only, or held out because its
-- barcode is claimed twice. Not per business day: rebuilt whole from the newest D365 pull and
-- the newest Retail item snapshot (hl_d365_assets/products/catalogue.py).
CREATE TABLE IF NOT EXISTS canonical.products (
    legal_entity                VARCHAR,
    item_number                 VARCHAR,
    product_color_id            VARCHAR,
    product_size_id             VARCHAR,
    product_style_id            VARCHAR,
    product_configuration_id    VARCHAR,
    product_version_id          VARCHAR,
    product_number              VARCHAR,
    product_subtype             VARCHAR,
    product_name                VARCHAR,
    barcode                     VARCHAR,
    sales_price                 DECIMAL(18, 6),
    unit_cost                   DECIMAL(18, 6),
    sales_tax_item_group        VARCHAR,
    retail_item_id              VARCHAR,
    retail_public_id            VARCHAR,
    upc                         VARCHAR,
    retail_description          VARCHAR,
    retail_price                DECIMAL(18, 2),
    retail_original_price       DECIMAL(18, 2),
    retail_cost                 DECIMAL(18, 2),
    retail_active               BOOLEAN,
    grid_id                     VARCHAR,
    grid_size                   VARCHAR,
    grid_color                  VARCHAR,
    match_rule                  VARCHAR,
    match_status                VARCHAR NOT NULL,
    match_detail                VARCHAR,
    d365_pulled_at              TIMESTAMPTZ,
    retail_snapshot_date        DATE,
    built_at                    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE canonical.products IS 'D365 SKUs (item number + product dimensions) paired with Heartland Retail items: by barcode = UPC first, then item number = public_id; unmatched and ambiguous ones are rows too (match_status) and recon.exceptions. Rebuilt whole from the newest pulls.';
COMMENT ON COLUMN canonical.products.legal_entity IS 'D365 company (mappings/product_sync.csv); NULL for a Retail item no D365 SKU matched. Source: raw.d365_released_products(dataAreaId)';
COMMENT ON COLUMN canonical.products.item_number IS 'D365 item number (of the product master, for a variant). Source: raw.d365_released_products(ItemNumber); raw.d365_released_product_variants(ItemNumber)';
COMMENT ON COLUMN canonical.products.product_color_id IS 'Colour dimension of the SKU; empty for a product without variants (as D365 keys it). Source: raw.d365_released_product_variants(ProductColorId)';
COMMENT ON COLUMN canonical.products.product_size_id IS 'Size dimension; empty for a product without variants. Source: raw.d365_released_product_variants(ProductSizeId)';
COMMENT ON COLUMN canonical.products.product_style_id IS 'Style dimension; empty for a product without variants. Source: raw.d365_released_product_variants(ProductStyleId)';
COMMENT ON COLUMN canonical.products.product_configuration_id IS 'Configuration dimension; empty for a product without variants. Source: raw.d365_released_product_variants(ProductConfigurationId)';
COMMENT ON COLUMN canonical.products.product_version_id IS 'Version dimension; empty for a product without variants. Source: raw.d365_released_product_variants(ProductVersionId)';
COMMENT ON COLUMN canonical.products.product_number IS 'D365 product number (the variant''s, for a variant). Source: raw.d365_released_products(ProductNumber); raw.d365_released_product_variants(ProductVariantNumber)';
COMMENT ON COLUMN canonical.products.product_subtype IS 'Product or ProductVariant. Source: raw.d365_released_products(ProductSubType)';
COMMENT ON COLUMN canonical.products.product_name IS 'D365 product name (ProductsV2; the released product''s search name when the product has none). Source: raw.d365_products(ProductName); raw.d365_released_products(SearchName)';
COMMENT ON COLUMN canonical.products.barcode IS 'The D365 barcode that matched, else the SKU''s default scanned barcode (lowest when several). Source: raw.d365_product_barcodes(Barcode)';
COMMENT ON COLUMN canonical.products.sales_price IS 'D365 base sales price, exact (the master''s for a variant). Source: raw.d365_released_products(SalesPrice)';
COMMENT ON COLUMN canonical.products.unit_cost IS 'D365 cost price, exact. Source: raw.d365_released_products(UnitCost)';
COMMENT ON COLUMN canonical.products.sales_tax_item_group IS 'D365 item sales tax group on sales. Source: raw.d365_released_products(SalesSalesTaxItemGroupCode)';
COMMENT ON COLUMN canonical.products.retail_item_id IS 'Heartland Retail item id; NULL when no Retail item matched. Source: raw.retail_items(item_id)';
COMMENT ON COLUMN canonical.products.retail_public_id IS 'Retail Item # (public_id). Source: raw.retail_items(public_id)';
COMMENT ON COLUMN canonical.products.upc IS 'Retail UPC (custom field upc). Source: raw.retail_items(upc)';
COMMENT ON COLUMN canonical.products.retail_description IS 'Retail item description. Source: raw.retail_items(description)';
COMMENT ON COLUMN canonical.products.retail_price IS 'Retail selling price. Source: raw.retail_items(price)';
COMMENT ON COLUMN canonical.products.retail_original_price IS 'Retail list price. Source: raw.retail_items(original_price)';
COMMENT ON COLUMN canonical.products.retail_cost IS 'Retail (average) unit cost. Source: raw.retail_items(cost)';
COMMENT ON COLUMN canonical.products.retail_active IS 'Active in Retail. Source: raw.retail_items(active)';
COMMENT ON COLUMN canonical.products.grid_id IS 'Retail item grid the item is a cell of (a D365 product master''s variant), NULL when none. Source: raw.retail_items(grid_id)';
COMMENT ON COLUMN canonical.products.grid_size IS 'The item''s size in its grid. Source: raw.retail_items(size)';
COMMENT ON COLUMN canonical.products.grid_color IS 'The item''s colour in its grid. Source: raw.retail_items(color)';
COMMENT ON COLUMN canonical.products.match_rule IS 'mapping_file (a person paired them in mappings/product_matches.csv: wins over the rules), barcode (a D365 barcode equals the Retail UPC, compared as GTIN-14 digits, each side unique) or item_number (public_id = item number, for a SKU without variants when no barcode matched); NULL when not matched.';
COMMENT ON COLUMN canonical.products.match_status IS 'matched, unmatched_d365 (no Retail item: the product sync creates it), unmatched_retail (no D365 SKU), or ambiguous_barcode (its barcode is claimed by two D365 SKUs or two Retail items: never matched by guess).';
COMMENT ON COLUMN canonical.products.match_detail IS 'Why a row is unmatched or ambiguous, naming the other claimants; NULL when matched.';
COMMENT ON COLUMN canonical.products.d365_pulled_at IS 'When the D365 pull the SKU comes from started. Source: raw.d365_released_products(pulled_at)';
COMMENT ON COLUMN canonical.products.retail_snapshot_date IS 'Business date of the Retail item snapshot used. Source: raw.retail_items(business_date)';
COMMENT ON COLUMN canonical.products.built_at IS 'When the match was built (UTC).';
