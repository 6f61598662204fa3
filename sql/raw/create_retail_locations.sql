-- Heartland Retail locations (stores) with their stations (registers), as landed.
CREATE TABLE IF NOT EXISTS raw.retail_locations (
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    event_id        VARCHAR NOT NULL,
    event_type      VARCHAR,
    received_at     TIMESTAMPTZ NOT NULL,
    location_id     VARCHAR NOT NULL,
    public_id       VARCHAR NOT NULL,
    name            VARCHAR,
    active          BOOLEAN,
    stations        STRUCT(id VARCHAR, location_id VARCHAR, name VARCHAR, active BOOLEAN)[] NOT NULL,
    created_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ
);
COMMENT ON TABLE raw.retail_locations IS 'Heartland Retail locations as landed, one row per event id (HR_locations_<id>_<updated_at>); public_id is our store_id (mappings/stores.csv).';
COMMENT ON COLUMN raw.retail_locations.business_date IS 'Merchant date of the pull the snapshot landed under.';
COMMENT ON COLUMN raw.retail_locations.segment_path IS 'Landing segment the event was read from.';
COMMENT ON COLUMN raw.retail_locations.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.retail_locations.event_id IS 'HR_locations_<id>_<updated_at digits>.';
COMMENT ON COLUMN raw.retail_locations.event_type IS 'heartland_retail.location.';
COMMENT ON COLUMN raw.retail_locations.received_at IS 'When the pull landed the event (UTC).';
COMMENT ON COLUMN raw.retail_locations.location_id IS 'payload.id: Retail location id, as text (tickets'' source_location_id).';
COMMENT ON COLUMN raw.retail_locations.public_id IS 'payload.public_id: Location #, our store_id (S001).';
COMMENT ON COLUMN raw.retail_locations.name IS 'payload.name.';
COMMENT ON COLUMN raw.retail_locations.active IS 'payload.active.';
COMMENT ON COLUMN raw.retail_locations.stations IS 'payload.stations (_include[]=stations): id, location_id, name (the register), active.';
COMMENT ON COLUMN raw.retail_locations.created_at IS 'payload.created_at.';
COMMENT ON COLUMN raw.retail_locations.updated_at IS 'payload.updated_at: version of the location.';
