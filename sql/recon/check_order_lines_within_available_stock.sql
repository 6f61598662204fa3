-- "Check inventory levels": every line of an open confirmed D365 sales order that asks for more
-- than its shipping warehouse has available in the newest on-hand snapshot held. The warehouse
-- is the line's ShippingWarehouseId, else the order's DefaultShippingWarehouseId. A warehouse
-- absent from that snapshot is not judged (there is nothing to compare with), but counted.
-- Only order and line numbers, items and quantities: no customer data. blocks: the legal
-- entity's order_stock_check is 'block' (ref.inventory_tolerances, loaded first).
WITH latest AS (
    SELECT max(snapshot_date) AS snapshot_date FROM raw.d365_warehouses_on_hand
),

available AS (
    SELECT w.dataAreaId, w.InventoryWarehouseId, w.ItemNumber,
           sum(w.AvailableOnHandQuantity) AS available
    FROM raw.d365_warehouses_on_hand AS w
    JOIN latest USING (snapshot_date)
    GROUP BY ALL
),

warehouses AS (
    SELECT DISTINCT dataAreaId, InventoryWarehouseId FROM available
),

open_lines AS (
    SELECT l.dataAreaId, l.SalesOrderNumber, l.LineNumber, l.ItemNumber, l.OrderedSalesQuantity,
           coalesce(nullif(l.ShippingWarehouseId, ''), o.DefaultShippingWarehouseId) AS warehouse
    FROM raw.d365_sales_order_lines AS l
    JOIN raw.d365_sales_orders AS o USING (dataAreaId, SalesOrderNumber)
    WHERE o.SalesOrderStatus = 'Backorder' AND o.SalesOrderProcessingStatus = 'Confirmed'
      AND coalesce(l.SalesOrderLineStatus, 'Backorder') = 'Backorder'
)

SELECT
    l.dataAreaId AS legal_entity, l.SalesOrderNumber AS sales_order_number,
    l.LineNumber AS line_number, l.ItemNumber AS item_number, l.warehouse,
    l.OrderedSalesQuantity AS ordered, coalesce(a.available, 0) AS available,
    w.InventoryWarehouseId IS NOT NULL AS warehouse_in_snapshot,
    (SELECT snapshot_date FROM latest) AS snapshot_date,
    coalesce(t.order_stock_check = 'block', false) AS blocks
FROM open_lines AS l
LEFT JOIN ref.inventory_tolerances AS t ON t.legal_entity = l.dataAreaId
LEFT JOIN warehouses AS w ON w.dataAreaId = l.dataAreaId AND w.InventoryWarehouseId = l.warehouse
LEFT JOIN available AS a
  ON a.dataAreaId = l.dataAreaId AND a.InventoryWarehouseId = l.warehouse AND a.ItemNumber = l.ItemNumber
WHERE w.InventoryWarehouseId IS NULL OR l.OrderedSalesQuantity > coalesce(a.available, 0)
ORDER BY l.dataAreaId, l.SalesOrderNumber, l.LineNumber;
