-- Heartland Retail stock against D365 on-hand, per business day, item and location.
CREATE TABLE IF NOT EXISTS recon.inventory (
    business_date               DATE NOT NULL,
    store_id                    VARCHAR,
    location_id                 VARCHAR,
    legal_entity                VARCHAR,
    inventory_site_id           VARCHAR,
    inventory_warehouse_id      VARCHAR,
    item_number                 VARCHAR,
    product_color_id            VARCHAR,
    product_size_id             VARCHAR,
    product_style_id            VARCHAR,
    product_configuration_id    VARCHAR,
    retail_item_id              VARCHAR,
    retail_public_id            VARCHAR,
    currency                    VARCHAR,
    unit_cost                   DECIMAL(18, 2),
    retail_on_hand              DECIMAL(18, 4),
    retail_available            DECIMAL(18, 4),
    retail_committed            DECIMAL(18, 4),
    d365_on_hand                DECIMAL(18, 6),
    d365_available              DECIMAL(18, 6),
    d365_reserved               DECIMAL(18, 6),
    on_hand_difference          DECIMAL(18, 6),
    available_difference        DECIMAL(18, 6),
    committed_difference        DECIMAL(18, 6),
    unposted_pos_units          DECIMAL(18, 4) NOT NULL,
    explained_on_hand           DECIMAL(18, 6) NOT NULL,
    unexplained_on_hand         DECIMAL(18, 6),
    unexplained_available       DECIMAL(18, 6),
    tolerance                   DECIMAL(18, 6),
    d365_snapshot_pulled_at     TIMESTAMPTZ,
    location_in_d365            BOOLEAN NOT NULL,
    location_in_retail          BOOLEAN NOT NULL,
    status                      VARCHAR NOT NULL,
    detail                      VARCHAR
);
COMMENT ON TABLE recon.inventory IS 'Heartland Retail stock (canonical.inventory_on_hand) against the D365 on-hand snapshot of the same business date (raw.d365_warehouses_on_hand), one row per item and location: differences, the part the day''s unposted POS sales explain, what is left, and a status.';
COMMENT ON COLUMN recon.inventory.business_date IS 'Business day: of the Retail snapshot and of the D365 snapshot (its pull''s business date).';
COMMENT ON COLUMN recon.inventory.store_id IS 'Store (the Retail location''s public_id).';
COMMENT ON COLUMN recon.inventory.location_id IS 'Heartland Retail location id; NULL on rows only D365 holds.';
COMMENT ON COLUMN recon.inventory.legal_entity IS 'D365 legal entity of the store''s warehouse (mappings/store_warehouses.csv); NULL when the location is unmapped.';
COMMENT ON COLUMN recon.inventory.inventory_site_id IS 'D365 InventorySiteId of the store (mappings/store_warehouses.csv).';
COMMENT ON COLUMN recon.inventory.inventory_warehouse_id IS 'D365 InventoryWarehouseId of the store (mappings/store_warehouses.csv).';
COMMENT ON COLUMN recon.inventory.item_number IS 'D365 ItemNumber (the Retail item as joined by sql/recon/stage_inventory_items.sql); NULL when the Retail item has no D365 item.';
COMMENT ON COLUMN recon.inventory.product_color_id IS 'D365 product dimension colour (blank for items without variants).';
COMMENT ON COLUMN recon.inventory.product_size_id IS 'D365 product dimension size.';
COMMENT ON COLUMN recon.inventory.product_style_id IS 'D365 product dimension style.';
COMMENT ON COLUMN recon.inventory.product_configuration_id IS 'D365 product dimension configuration.';
COMMENT ON COLUMN recon.inventory.retail_item_id IS 'Heartland Retail item id; NULL on rows only D365 holds.';
COMMENT ON COLUMN recon.inventory.retail_public_id IS 'Heartland Retail Item # (public_id).';
COMMENT ON COLUMN recon.inventory.currency IS 'Currency of unit_cost: the store''s.';
COMMENT ON COLUMN recon.inventory.unit_cost IS 'Retail unit cost: values a difference in recon.exceptions.amount_at_risk.';
COMMENT ON COLUMN recon.inventory.retail_on_hand IS 'Heartland qty_on_hand (NULL: Retail has no row).';
COMMENT ON COLUMN recon.inventory.retail_available IS 'Heartland qty_available (on hand when Retail sent none).';
COMMENT ON COLUMN recon.inventory.retail_committed IS 'Heartland qty_committed (0 when Retail sent none).';
COMMENT ON COLUMN recon.inventory.d365_on_hand IS 'D365 OnHandQuantity, summed over product versions (NULL: D365 has no row).';
COMMENT ON COLUMN recon.inventory.d365_available IS 'D365 AvailableOnHandQuantity (project assumption: ≈ Heartland qty_available).';
COMMENT ON COLUMN recon.inventory.d365_reserved IS 'D365 ReservedOnHandQuantity (project assumption: ≈ Heartland qty_committed).';
COMMENT ON COLUMN recon.inventory.on_hand_difference IS 'retail_on_hand - d365_on_hand (a missing side counts as 0).';
COMMENT ON COLUMN recon.inventory.available_difference IS 'retail_available - d365_available.';
COMMENT ON COLUMN recon.inventory.committed_difference IS 'retail_committed - d365_reserved.';
COMMENT ON COLUMN recon.inventory.unposted_pos_units IS 'Net units the day''s POS sales and returns of the item at the store moved (returns negative) whose journal was not posted to D365 before the snapshot was pulled (canonical.pos_sale_lines, gl.postings): D365 has not seen them.';
COMMENT ON COLUMN recon.inventory.explained_on_hand IS 'The part of on_hand_difference the unposted POS units explain: -unposted_pos_units when both systems hold the item, else 0.';
COMMENT ON COLUMN recon.inventory.unexplained_on_hand IS 'on_hand_difference - explained_on_hand: what is left to chase.';
COMMENT ON COLUMN recon.inventory.unexplained_available IS 'available_difference less the same unposted units.';
COMMENT ON COLUMN recon.inventory.tolerance IS 'Units the unexplained figures may differ and still match: absolute_units + relative_fraction x |d365_on_hand| (mappings/inventory_tolerances.csv).';
COMMENT ON COLUMN recon.inventory.d365_snapshot_pulled_at IS 'When the D365 snapshot compared was pulled (days without a snapshot are not compared: no rows).';
COMMENT ON COLUMN recon.inventory.location_in_d365 IS 'False when the store''s warehouse has no row at all in the D365 snapshot of the day: every item of the location is then missing_in_d365, reported as one inventory_location_missing_in_d365 exception.';
COMMENT ON COLUMN recon.inventory.location_in_retail IS 'False when the store has no row at all in Heartland Retail''s stock of the day: one inventory_location_missing_in_retail exception.';
COMMENT ON COLUMN recon.inventory.status IS 'matched (within tolerance, nothing unposted), explained (the unposted POS units account for the difference), difference (more than tolerance left), missing_in_d365 (Retail holds stock D365 has no record of, or the store''s warehouse is absent from the day''s snapshot), missing_in_retail (D365 holds stock at a mapped warehouse Retail has no row of, or the location is absent from Retail''s snapshot), location_unmapped (the store has no row in mappings/store_warehouses.csv).';
COMMENT ON COLUMN recon.inventory.detail IS 'The comparison in words, with both sides'' figures.';
