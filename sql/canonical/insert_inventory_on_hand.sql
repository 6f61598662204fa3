-- Build canonical.inventory_on_hand for business days $first..$last from the day's Retail stock
-- snapshot, with the item's SKU and the location's store as known on the day (canonical.items and
-- canonical.locations, built in the same step before this).
INSERT INTO canonical.inventory_on_hand BY NAME
SELECT
    v.business_date, v.item_id, i.sku, v.location_id, l.store_id, l.currency,
    v.qty_on_hand, v.qty_available, v.qty_committed, v.unit_cost,
    CAST(v.qty_on_hand * v.unit_cost AS DECIMAL(38, 6)) AS value,
    CASE WHEN l.location_id IS NULL
         THEN 'unknown_location: Retail location ' || v.location_id || ' is not in raw.retail_locations'
         WHEN l.legal_entity IS NULL
         THEN 'unknown_location: store "' || l.store_id || '" is not in mappings/stores.csv' END AS mapping_issue,
    v.event_id AS source_event_id
FROM raw.retail_inventory_values AS v
LEFT JOIN canonical.items AS i USING (business_date, item_id)
LEFT JOIN canonical.locations AS l USING (business_date, location_id)
WHERE v.business_date BETWEEN $first AND $last;
