-- Heartland Retail stock per item and location, as landed (a dated snapshot per pull).
CREATE TABLE IF NOT EXISTS raw.retail_inventory_values (
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    event_id        VARCHAR NOT NULL,
    event_type      VARCHAR,
    received_at     TIMESTAMPTZ NOT NULL,
    item_id         VARCHAR NOT NULL,
    location_id     VARCHAR NOT NULL,
    qty_on_hand     DECIMAL(18, 4) NOT NULL,
    qty_available   DECIMAL(18, 4),
    qty_committed   DECIMAL(18, 4),
    unit_cost       DECIMAL(18, 2)
);
COMMENT ON TABLE raw.retail_inventory_values IS 'Heartland Retail stock (inventory/values grouped by item and location) as landed: the snapshot of business_date, one row per event id (HR_inventory_values_<item_id>_<location_id>_<date>).';
COMMENT ON COLUMN raw.retail_inventory_values.business_date IS 'Merchant date of the snapshot.';
COMMENT ON COLUMN raw.retail_inventory_values.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.retail_inventory_values.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.retail_inventory_values.event_id IS 'HR_inventory_values_<item_id>_<location_id>_<snapshot date>.';
COMMENT ON COLUMN raw.retail_inventory_values.event_type IS 'heartland_retail.inventory_value.';
COMMENT ON COLUMN raw.retail_inventory_values.received_at IS 'When the pull landed the event (UTC).';
COMMENT ON COLUMN raw.retail_inventory_values.item_id IS 'payload.item_id (raw.retail_items.item_id).';
COMMENT ON COLUMN raw.retail_inventory_values.location_id IS 'payload.location_id (raw.retail_locations.location_id).';
COMMENT ON COLUMN raw.retail_inventory_values.qty_on_hand IS 'payload.qty_on_hand, exact DECIMAL(18,4).';
COMMENT ON COLUMN raw.retail_inventory_values.qty_available IS 'payload.qty_available, exact.';
COMMENT ON COLUMN raw.retail_inventory_values.qty_committed IS 'payload.qty_committed, exact.';
COMMENT ON COLUMN raw.retail_inventory_values.unit_cost IS 'payload.unit_cost, exact DECIMAL major units.';
