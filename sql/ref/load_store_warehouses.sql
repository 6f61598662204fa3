-- ref.store_warehouses from mappings/store_warehouses.csv ($dir: the mappings folder): which D365
-- site and warehouse holds each store's stock. A store missing here is reported by
-- recon.inventory as location_unmapped, never guessed from its name.
CREATE OR REPLACE TABLE ref.store_warehouses AS
SELECT store_id, lower(legal_entity) AS legal_entity, inventory_site_id, inventory_warehouse_id
FROM read_csv($dir || '/store_warehouses.csv', header = true, columns = {
    'store_id': 'VARCHAR', 'legal_entity': 'VARCHAR', 'inventory_site_id': 'VARCHAR',
    'inventory_warehouse_id': 'VARCHAR'});
COMMENT ON TABLE ref.store_warehouses IS 'mappings/store_warehouses.csv as loaded: each Heartland Retail location (by its store, the location''s public_id) and the D365 legal entity, InventorySiteId and InventoryWarehouseId its stock is kept under.';
COMMENT ON COLUMN ref.store_warehouses.store_id IS 'Store id (S001): the Retail location''s public_id, as in mappings/stores.csv.';
COMMENT ON COLUMN ref.store_warehouses.legal_entity IS 'D365 legal entity (dataAreaId) of the warehouse, lower case.';
COMMENT ON COLUMN ref.store_warehouses.inventory_site_id IS 'D365 InventorySiteId (OperationalSitesV2.SiteId) of the store.';
COMMENT ON COLUMN ref.store_warehouses.inventory_warehouse_id IS 'D365 InventoryWarehouseId (Warehouses.WarehouseId): the store''s stock in WarehousesOnHandV2, and the ShippingWarehouseId of order lines shipped from it.';
