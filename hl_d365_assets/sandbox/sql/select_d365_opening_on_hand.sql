-- D365's stock of every mapped store's warehouse at the start of one sandbox day, before that
-- day's POS sales are posted to it: the Retail store's end-of-day stock (inventory_values.ndjson,
-- which the generator leaves at the end of the last day written) plus the units the day's
-- tickets took out (retail_day_units, create_retail_day_units.sql, built first). Reserved =
-- Retail's committed units (the project's rough equivalence, docs/stock.md). Stores missing
-- from the mapping get no warehouse. $inventory, $items, $locations: the Retail store's files;
-- $warehouses: mappings/store_warehouses.csv.
WITH stock AS (
    SELECT l.public_id AS store_id, it.public_id AS item_number, it.description AS product_name,
           v.qty_on_hand, coalesce(v.qty_committed, 0) AS qty_committed
    FROM read_json($inventory, format = 'newline_delimited', columns = {
        'item_id': 'BIGINT', 'location_id': 'BIGINT', 'qty_on_hand': 'DECIMAL(18,4)',
        'qty_committed': 'DECIMAL(18,4)'}) AS v
    JOIN read_json($items, format = 'newline_delimited', columns = {
        'id': 'BIGINT', 'public_id': 'VARCHAR', 'description': 'VARCHAR'}) AS it ON it.id = v.item_id
    JOIN read_json($locations, format = 'newline_delimited', columns = {
        'id': 'BIGINT', 'public_id': 'VARCHAR'}) AS l ON l.id = v.location_id
)

SELECT lower(w.legal_entity) AS legal_entity, w.inventory_site_id, w.inventory_warehouse_id,
       s.store_id, s.item_number, s.product_name,
       s.qty_on_hand + coalesce(sold.units, 0) AS on_hand, s.qty_committed AS reserved
FROM stock AS s
JOIN read_csv($warehouses, header = true, all_varchar = true) AS w USING (store_id)
LEFT JOIN retail_day_units AS sold USING (store_id, item_number)
ORDER BY w.inventory_warehouse_id, s.item_number;
