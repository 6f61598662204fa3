-- Stock on hand per item and store, as Heartland Retail reported it for the business day.
CREATE TABLE IF NOT EXISTS canonical.inventory_on_hand (
    business_date   DATE NOT NULL,
    item_id         VARCHAR NOT NULL,
    sku             VARCHAR,
    location_id     VARCHAR NOT NULL,
    store_id        VARCHAR,
    currency        VARCHAR,
    qty_on_hand     DECIMAL(18, 4) NOT NULL,
    qty_available   DECIMAL(18, 4),
    qty_committed   DECIMAL(18, 4),
    unit_cost       DECIMAL(18, 2),
    value           DECIMAL(38, 6),
    mapping_issue   VARCHAR,
    source_event_id VARCHAR NOT NULL
);
COMMENT ON TABLE canonical.inventory_on_hand IS 'Heartland Retail stock snapshot of the business day, one row per item and location, valued exactly at unit cost.';
COMMENT ON COLUMN canonical.inventory_on_hand.business_date IS 'Day of the snapshot. Source: raw.retail_inventory_values(business_date)';
COMMENT ON COLUMN canonical.inventory_on_hand.item_id IS 'Retail item id. Source: raw.retail_inventory_values(item_id)';
COMMENT ON COLUMN canonical.inventory_on_hand.sku IS 'Item # of the item as known on the day. Source: raw.retail_items(public_id)';
COMMENT ON COLUMN canonical.inventory_on_hand.location_id IS 'Retail location id. Source: raw.retail_inventory_values(location_id)';
COMMENT ON COLUMN canonical.inventory_on_hand.store_id IS 'Our store (the location''s public_id). Source: raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.inventory_on_hand.currency IS 'Currency of unit_cost and value: the store''s. Source: raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.inventory_on_hand.qty_on_hand IS 'Units on hand. Source: raw.retail_inventory_values(qty_on_hand)';
COMMENT ON COLUMN canonical.inventory_on_hand.qty_available IS 'Units available to sell. Source: raw.retail_inventory_values(qty_available)';
COMMENT ON COLUMN canonical.inventory_on_hand.qty_committed IS 'Units committed to orders. Source: raw.retail_inventory_values(qty_committed)';
COMMENT ON COLUMN canonical.inventory_on_hand.unit_cost IS 'Unit cost. Source: raw.retail_inventory_values(unit_cost)';
COMMENT ON COLUMN canonical.inventory_on_hand.value IS 'qty_on_hand x unit_cost, exact (six decimals, never rounded). Source: raw.retail_inventory_values(qty_on_hand, unit_cost)';
COMMENT ON COLUMN canonical.inventory_on_hand.mapping_issue IS 'unknown_location when the location or its store is unknown; NULL when clean. Source: raw.retail_inventory_values(location_id)';
COMMENT ON COLUMN canonical.inventory_on_hand.source_event_id IS 'Event that carried the row. Source: raw.retail_inventory_values(event_id)';
