-- Heartland Retail items as landed (a dated snapshot per pull), one row per delivered version.
CREATE TABLE IF NOT EXISTS raw.retail_items (
    business_date       DATE NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR,
    received_at         TIMESTAMPTZ NOT NULL,
    item_id             VARCHAR NOT NULL,
    public_id           VARCHAR NOT NULL,
    description         VARCHAR,
    long_description    VARCHAR,
    cost                DECIMAL(18, 2),
    original_price      DECIMAL(18, 2),
    price               DECIMAL(18, 2),
    active              BOOLEAN,
    primary_vendor_id   VARCHAR,
    grid_id             VARCHAR,
    upc                 VARCHAR,
    size                VARCHAR,
    color               VARCHAR,
    created_at          TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE raw.retail_items IS 'Heartland Retail items as landed: the item snapshot pulled on business_date, one row per event id (HR_items_<id>_<updated_at>). canonical.items keeps the latest version per item.';
COMMENT ON COLUMN raw.retail_items.business_date IS 'Merchant date of the pull the snapshot landed under.';
COMMENT ON COLUMN raw.retail_items.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.retail_items.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.retail_items.event_id IS 'HR_items_<id>_<updated_at digits>: the same version twice is a duplicate.';
COMMENT ON COLUMN raw.retail_items.event_type IS 'heartland_retail.item.';
COMMENT ON COLUMN raw.retail_items.received_at IS 'When the pull landed the event (UTC).';
COMMENT ON COLUMN raw.retail_items.item_id IS 'payload.id: Retail item id, as text.';
COMMENT ON COLUMN raw.retail_items.public_id IS 'payload.public_id: Item #, our SKU.';
COMMENT ON COLUMN raw.retail_items.description IS 'payload.description.';
COMMENT ON COLUMN raw.retail_items.long_description IS 'payload.long_description.';
COMMENT ON COLUMN raw.retail_items.cost IS 'payload.cost: unit cost, exact DECIMAL major units.';
COMMENT ON COLUMN raw.retail_items.original_price IS 'payload.original_price: list price, exact DECIMAL.';
COMMENT ON COLUMN raw.retail_items.price IS 'payload.price: selling price, exact DECIMAL.';
COMMENT ON COLUMN raw.retail_items.active IS 'payload.active.';
COMMENT ON COLUMN raw.retail_items.primary_vendor_id IS 'payload.primary_vendor_id.';
COMMENT ON COLUMN raw.retail_items.grid_id IS 'payload.grid_id (assumed key): the item grid, NULL when not in one.';
COMMENT ON COLUMN raw.retail_items.upc IS 'payload.custom.upc (assumed key).';
COMMENT ON COLUMN raw.retail_items.size IS 'payload.custom.size (assumed key).';
COMMENT ON COLUMN raw.retail_items.color IS 'payload.custom.color (assumed key).';
COMMENT ON COLUMN raw.retail_items.created_at IS 'payload.created_at.';
COMMENT ON COLUMN raw.retail_items.updated_at IS 'payload.updated_at: version of the item.';
