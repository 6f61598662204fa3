-- Heartland Retail items as known on each business day.
CREATE TABLE IF NOT EXISTS canonical.items (
    business_date       DATE NOT NULL,
    item_id             VARCHAR NOT NULL,
    sku                 VARCHAR,
    description         VARCHAR,
    price               DECIMAL(18, 2),
    original_price      DECIMAL(18, 2),
    cost                DECIMAL(18, 2),
    active              BOOLEAN,
    grid_id             VARCHAR,
    upc                 VARCHAR,
    is_absent           BOOLEAN NOT NULL,
    sold_on_day         BOOLEAN NOT NULL,
    mapping_issue       VARCHAR,
    source_event_id     VARCHAR
);
COMMENT ON TABLE canonical.items IS 'Heartland Retail items per business day: the latest version landed up to the day, plus items the day''s tickets sell that the latest item snapshot lacks (deleted while tickets refer to them): flagged, not blocking.';
COMMENT ON COLUMN canonical.items.business_date IS 'Business day the row describes. Source: raw.retail_items(business_date)';
COMMENT ON COLUMN canonical.items.item_id IS 'Retail item id. Source: raw.retail_items(item_id); raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.items.sku IS 'Item # (public_id), our SKU; from the ticket line when the item is absent. Source: raw.retail_items(public_id); raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.items.description IS 'Description; from the ticket line when the item is absent. Source: raw.retail_items(description); raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.items.price IS 'Selling price. Source: raw.retail_items(price)';
COMMENT ON COLUMN canonical.items.original_price IS 'List price. Source: raw.retail_items(original_price)';
COMMENT ON COLUMN canonical.items.cost IS 'Unit cost. Source: raw.retail_items(cost)';
COMMENT ON COLUMN canonical.items.active IS 'Active in Retail. Source: raw.retail_items(active)';
COMMENT ON COLUMN canonical.items.grid_id IS 'Item grid (size/colour matrix), NULL when none. Source: raw.retail_items(grid_id)';
COMMENT ON COLUMN canonical.items.upc IS 'Universal Product Code (the barcode), from the item''s custom fields. Source: raw.retail_items(upc)';
COMMENT ON COLUMN canonical.items.is_absent IS 'Not in the latest item snapshot on or before the day (deleted, or never pulled). Source: raw.retail_items(business_date, item_id)';
COMMENT ON COLUMN canonical.items.sold_on_day IS 'A ticket line of the day refers to the item. Source: raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.items.mapping_issue IS 'item_not_in_snapshot when the day''s tickets sell an absent item (a warning: the lines keep the ticket''s own SKU and description); NULL when clean. Source: raw.retail_items; raw.retail_tickets(lines)';
COMMENT ON COLUMN canonical.items.source_event_id IS 'Event that carried the item version; NULL for an absent item. Source: raw.retail_items(event_id)';
