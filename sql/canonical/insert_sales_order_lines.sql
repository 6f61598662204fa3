-- Rebuild canonical.sales_order_lines from raw.d365_sales_order_lines, each line with its order's
-- warehouse and cancelled when the line or its order is.
DELETE FROM canonical.sales_order_lines;
INSERT INTO canonical.sales_order_lines BY NAME
SELECT
    l.dataAreaId AS legal_entity,
    l.SalesOrderNumber AS sales_order_number,
    l.InventoryLotId AS line_id,
    l.LineNumber AS line_number,
    l.ItemNumber AS item_number,
    l.LineDescription AS description,
    l.OrderedSalesQuantity AS quantity,
    l.SalesUnitSymbol AS unit,
    l.SalesPrice AS unit_price,
    l.LineAmount AS line_amount,
    l.CurrencyCode AS currency,
    l.SalesOrderLineStatus AS line_status,
    coalesce(l.SalesOrderLineStatus = 'Canceled', false) OR coalesce(o.SalesOrderStatus = 'Canceled', false)
        AS cancelled,
    o.DefaultShippingWarehouseId AS warehouse_id,
    l.pulled_at
FROM raw.d365_sales_order_lines AS l
LEFT JOIN raw.d365_sales_orders AS o USING (dataAreaId, SalesOrderNumber);
