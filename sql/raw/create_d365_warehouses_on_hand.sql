-- D365 WarehousesOnHandV2 of every legal entity, one dated snapshot per pull's business date:
-- the entity is a read-only aggregate with no timestamp (reference d365-entities-wave2 §3), so
-- history exists only as the snapshots kept here.
CREATE TABLE IF NOT EXISTS raw.d365_warehouses_on_hand (
    dataAreaId                  VARCHAR NOT NULL,
    ItemNumber                  VARCHAR NOT NULL,
    ProductColorId              VARCHAR NOT NULL,
    ProductConfigurationId      VARCHAR NOT NULL,
    ProductSizeId               VARCHAR NOT NULL,
    ProductStyleId              VARCHAR NOT NULL,
    ProductVersionId            VARCHAR NOT NULL,
    InventorySiteId             VARCHAR NOT NULL,
    InventoryWarehouseId        VARCHAR NOT NULL,
    OnHandQuantity              DECIMAL(18,6) NOT NULL,
    AvailableOnHandQuantity     DECIMAL(18,6) NOT NULL,
    ReservedOnHandQuantity      DECIMAL(18,6) NOT NULL,
    OrderedQuantity             DECIMAL(18,6),
    AvailableOrderedQuantity    DECIMAL(18,6),
    ReservedOrderedQuantity     DECIMAL(18,6),
    OnOrderQuantity             DECIMAL(18,6),
    TotalAvailableQuantity      DECIMAL(18,6),
    ProductName                 VARCHAR,
    pulled_at                   TIMESTAMPTZ NOT NULL,
    snapshot_date               DATE NOT NULL,
    PRIMARY KEY (snapshot_date, dataAreaId, ItemNumber, ProductColorId, ProductConfigurationId,
                 ProductSizeId, ProductStyleId, ProductVersionId, InventorySiteId, InventoryWarehouseId)
);
COMMENT ON TABLE raw.d365_warehouses_on_hand IS 'D365 WarehousesOnHandV2, all legal entities, one snapshot per business date of the pull (a later pull of the same date replaces it; earlier dates are kept).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.dataAreaId IS 'Legal entity (company), lower case. Key with the item, its five product dimensions, site and warehouse.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ItemNumber IS 'Item: raw.d365_released_products.ItemNumber (= Heartland Retail item public_id in the sandbox).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ProductColorId IS 'Product dimension colour; blank for items without variants.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ProductConfigurationId IS 'Product dimension configuration; blank for items without variants.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ProductSizeId IS 'Product dimension size; blank for items without variants.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ProductStyleId IS 'Product dimension style; blank for items without variants.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ProductVersionId IS 'Product dimension version; blank for items without variants.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.InventorySiteId IS 'Site (OperationalSitesV2.SiteId); mappings/store_warehouses.csv names each store''s.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.InventoryWarehouseId IS 'Warehouse (Warehouses.WarehouseId); mappings/store_warehouses.csv names each store''s.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.OnHandQuantity IS 'Physical units on hand, exact decimal (compared with Heartland qty_on_hand).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.AvailableOnHandQuantity IS 'On hand less reserved: units free to sell (compared with Heartland qty_available; what an order line may take).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ReservedOnHandQuantity IS 'Physical units reserved for orders (compared with Heartland qty_committed).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.OrderedQuantity IS 'Units on incoming orders (purchase, transfer).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.AvailableOrderedQuantity IS 'Ordered units not reserved.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ReservedOrderedQuantity IS 'Ordered units reserved.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.OnOrderQuantity IS 'Units on outgoing orders (sales) not yet shipped.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.TotalAvailableQuantity IS 'Available on hand plus available ordered.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.ProductName IS 'Product name, for people.';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.pulled_at IS 'When the pull that took the snapshot started (UTC).';
COMMENT ON COLUMN raw.d365_warehouses_on_hand.snapshot_date IS 'Business date of the snapshot: the merchant''s date when the pull started.';
