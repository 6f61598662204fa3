-- retail_locations: every store of mappings/stores.csv as a Heartland Retail location (id = the
-- store's number, public_id = its store id) with the region its customers live in
-- (customers.py), filled by retail_store.py; each has six stations, R01..R06, the registers the
-- sandbox's tickets are rung up on.
CREATE OR REPLACE TABLE retail_locations (
    location_id INTEGER, store_id VARCHAR, store_name VARCHAR,
    city VARCHAR, state VARCHAR, country VARCHAR, area_code VARCHAR, zip_prefix VARCHAR);

CREATE OR REPLACE VIEW retail_stations AS
SELECT
    l.location_id,
    retail_station_id(l.location_id, r.register) AS station_id,
    'R' || lpad(r.register::VARCHAR, 2, '0') AS name
FROM retail_locations AS l
CROSS JOIN range(1, 7) AS r(register);

CREATE OR REPLACE VIEW retail_locations_documents AS
SELECT
    l.location_id AS sort_key,
    concat(
        '{"id":', l.location_id,
        ',"public_id":', to_json(l.store_id),
        ',"name":', to_json(l.store_name),
        ',"active":true,"stations":[',
        (
            SELECT string_agg(
                concat('{"id":', s.station_id, ',"location_id":', s.location_id, ',"name":"', s.name, '","active":true}'),
                ',' ORDER BY s.station_id
            )
            FROM retail_stations AS s
            WHERE s.location_id = l.location_id
        ),
        '],"created_at":"', getvariable('retail_catalogue_time'),
        '","updated_at":"', getvariable('retail_catalogue_time'),
        '"}'
    ) AS line
FROM retail_locations AS l;

CREATE OR REPLACE VIEW retail_stations_documents AS
SELECT
    station_id AS sort_key,
    concat('{"id":', station_id, ',"location_id":', location_id, ',"name":"', name, '","active":true}') AS line
FROM retail_stations;

-- Payment types in id order: Cash, one per card brand, Gift Card, Store Credit and Crypto, a
-- type the merchant added that no mapping knows (the unknown_payment_type defect pays with it).
CREATE OR REPLACE VIEW retail_payment_types_documents AS
SELECT
    p.id AS sort_key,
    concat(
        '{"id":', p.id,
        ',"name":', to_json(getvariable('retail_payment_type_names')[p.id]),
        ',"active":true,"created_at":"', getvariable('retail_catalogue_time'),
        '","updated_at":"', getvariable('retail_catalogue_time'),
        '"}'
    ) AS line
FROM range(1, getvariable('retail_payment_type_count') + 1) AS p(id);
