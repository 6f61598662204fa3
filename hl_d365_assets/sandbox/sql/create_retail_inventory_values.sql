-- retail_inventory_values_documents: stock of every item at every store of the day as
-- inventory/values?group[]=item_id&group[]=location_id serves it at the end of the day.
--
-- Each store opens the day restocked: 10-49 units of every SKU plus 2 % of the day's gateway
-- transactions (about twice what a SKU sells), drawn per day. On hand is that less the units the
-- day's completed tickets sold, returns coming back to stock; voided tickets move nothing. A
-- SKU that sells out keeps selling and goes negative, as Heartland Retail lets a till sell stock
-- it has not received: a negative on-hand is shown, never clipped. A few SKUs are committed to
-- customer orders, which is what makes available differ from on hand.
CREATE OR REPLACE VIEW retail_inventory_values_documents AS
WITH sold_lines AS (
    SELECT store_idx, kind, unnest(lines) AS line
    FROM tickets
    WHERE kind <> 'void'
),

sold AS (
    SELECT store_idx, line.sku AS sku, sum(CASE WHEN kind = 'refund' THEN -line.quantity ELSE line.quantity END) AS units
    FROM sold_lines
    GROUP BY ALL
),

stock AS (
    SELECT
        st.store_idx,
        l.location_id,
        r.sku,
        10 + draw(st.store_idx, r.sku, 'retail_stock', 40) + getvariable('slots_per_store') // 50
            - coalesce(s.units, 0) AS on_hand,
        CASE
            WHEN draw(st.store_idx, r.sku, 'retail_committed', 100) < 5
                THEN 1 + draw(st.store_idx, r.sku, 'retail_committed_units', 3)
            ELSE 0
        END AS committed
    FROM stores AS st
    JOIN retail_locations AS l USING (store_id)
    CROSS JOIN range(getvariable('catalog_size')) AS r(sku)
    LEFT JOIN sold AS s ON s.store_idx = st.store_idx AND s.sku = r.sku
)

SELECT
    location_id * 100000 + sku AS sort_key,
    concat(
        '{"item_id":', retail_item_id(sku),
        ',"location_id":', location_id,
        ',"qty_on_hand":', on_hand,
        ',"qty_available":', on_hand - committed,
        ',"qty_committed":', committed,
        ',"unit_cost":', money_json(getvariable('catalog_costs')[1 + sku]),
        '}'
    ) AS line
FROM stock;
