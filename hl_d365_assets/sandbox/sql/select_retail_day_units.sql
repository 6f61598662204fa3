-- The day's net POS units per store's warehouse and item (retail_day_units, built by
-- create_retail_day_units.sql first): what posting the stores' POS statements moves in D365.
SELECT legal_entity, inventory_site_id, inventory_warehouse_id, store_id, item_number, units
FROM retail_day_units
ORDER BY ALL;
