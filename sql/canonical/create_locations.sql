-- Heartland Retail locations as known on each business day, mapped to our stores.
CREATE TABLE IF NOT EXISTS canonical.locations (
    business_date   DATE NOT NULL,
    location_id     VARCHAR NOT NULL,
    store_id        VARCHAR NOT NULL,
    name            VARCHAR,
    active          BOOLEAN,
    stations        STRUCT(id VARCHAR, location_id VARCHAR, name VARCHAR, active BOOLEAN)[] NOT NULL,
    legal_entity    VARCHAR,
    currency        VARCHAR,
    mapping_issue   VARCHAR,
    source_event_id VARCHAR NOT NULL
);
COMMENT ON TABLE canonical.locations IS 'Heartland Retail locations per business day in their latest version up to the day, with stations (registers) and the store''s legal entity from mappings/stores.csv.';
COMMENT ON COLUMN canonical.locations.business_date IS 'Business day the row describes. Source: raw.retail_locations(business_date)';
COMMENT ON COLUMN canonical.locations.location_id IS 'Retail location id (tickets'' source_location_id). Source: raw.retail_locations(location_id)';
COMMENT ON COLUMN canonical.locations.store_id IS 'Location # (public_id) = our store_id. Source: raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.locations.name IS 'Location name. Source: raw.retail_locations(name)';
COMMENT ON COLUMN canonical.locations.active IS 'Active in Retail. Source: raw.retail_locations(active)';
COMMENT ON COLUMN canonical.locations.stations IS 'Stations (registers): id, location_id, name (canonical.pos_sales.register_id), active. Source: raw.retail_locations(stations)';
COMMENT ON COLUMN canonical.locations.legal_entity IS 'D365 legal entity of the store; NULL when unmapped. Source: raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.locations.currency IS 'Currency the store takes. Source: raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.locations.mapping_issue IS 'unknown_location when the store is not in mappings/stores.csv; NULL when clean. Source: raw.retail_locations(public_id)';
COMMENT ON COLUMN canonical.locations.source_event_id IS 'Event that carried the location version. Source: raw.retail_locations(event_id)';
