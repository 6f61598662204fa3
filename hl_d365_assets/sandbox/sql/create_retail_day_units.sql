-- retail_day_units: net units each store's POS tickets of one sandbox day moved out of stock, per item, read from
-- the sandbox's Heartland Retail store files: what D365 learns when the store's day of POS sales
-- is posted. Returns carry negative qty; voided tickets move nothing; an edited ticket (a later
-- version of the same id) counts once, as its newest version.
-- $tickets, $locations: the store's tickets.ndjson and locations.ndjson; $warehouses:
-- mappings/store_warehouses.csv; $day_number: the day's ordinal - 730120 (the first digits of
-- its Retail ticket ids, create_retail_macros.sql).
CREATE OR REPLACE TEMP TABLE retail_day_units AS
WITH tickets AS (
    SELECT id, arg_max(status, updated_at) AS status, arg_max(lines, updated_at) AS lines,
           any_value(source_location_id) AS location_id
    FROM read_json($tickets, format = 'newline_delimited', columns = {
        'id': 'BIGINT', 'status': 'VARCHAR', 'source_location_id': 'BIGINT', 'updated_at': 'VARCHAR',
        'lines': 'STRUCT(type VARCHAR, item_public_id VARCHAR, qty DECIMAL(18,4))[]'})
    WHERE id // 10000000 = $day_number
    GROUP BY id
),

item_lines AS (
    SELECT location_id, unnest(lines) AS line
    FROM tickets
    WHERE status <> 'voided'
),

locations AS (
    SELECT id AS location_id, public_id AS store_id
    FROM read_json($locations, format = 'newline_delimited', columns = {'id': 'BIGINT', 'public_id': 'VARCHAR'})
),

warehouses AS (
    SELECT store_id, lower(legal_entity) AS legal_entity, inventory_site_id, inventory_warehouse_id
    FROM read_csv($warehouses, header = true, all_varchar = true)
)

SELECT w.store_id, w.legal_entity, w.inventory_site_id, w.inventory_warehouse_id,
       i.line.item_public_id AS item_number, sum(i.line.qty) AS units
FROM item_lines AS i
JOIN locations AS l USING (location_id)
JOIN warehouses AS w USING (store_id)
WHERE i.line.type = 'ItemLine'
GROUP BY ALL
HAVING sum(i.line.qty) <> 0;
