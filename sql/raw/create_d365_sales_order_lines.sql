-- D365 SalesOrderLines of every legal entity: pulled with their orders (the lines of each order
-- the header pull fetched replace that order's lines here), all of them on a full pull.
CREATE TABLE IF NOT EXISTS raw.d365_sales_order_lines (
    dataAreaId              VARCHAR NOT NULL,
    InventoryLotId          VARCHAR NOT NULL,
    SalesOrderNumber        VARCHAR NOT NULL,
    LineNumber              DECIMAL(18,6),
    ItemNumber              VARCHAR,
    LineDescription         VARCHAR,
    OrderedSalesQuantity    DECIMAL(18,6),
    SalesUnitSymbol         VARCHAR,
    SalesPrice              DECIMAL(18,6),
    LineAmount              DECIMAL(18,2),
    CurrencyCode            VARCHAR,
    SalesOrderLineStatus    VARCHAR,
    pulled_at               TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataAreaId, InventoryLotId)
);
-- Where the line ships from (the order's DefaultShippingWarehouseId when the line names none):
-- the stock check reads the warehouse's available quantity. Added to warehouses created before.
ALTER TABLE raw.d365_sales_order_lines ADD COLUMN IF NOT EXISTS ShippingSiteId VARCHAR;
ALTER TABLE raw.d365_sales_order_lines ADD COLUMN IF NOT EXISTS ShippingWarehouseId VARCHAR;
COMMENT ON TABLE raw.d365_sales_order_lines IS 'D365 SalesOrderLines, all legal entities: the lines of the orders in raw.d365_sales_orders, replaced order by order whenever their order is pulled.';
COMMENT ON COLUMN raw.d365_sales_order_lines.dataAreaId IS 'Legal entity (company), lower case. Key with InventoryLotId.';
COMMENT ON COLUMN raw.d365_sales_order_lines.InventoryLotId IS 'Lot id, the line''s key in D365.';
COMMENT ON COLUMN raw.d365_sales_order_lines.SalesOrderNumber IS 'The order: raw.d365_sales_orders.SalesOrderNumber.';
COMMENT ON COLUMN raw.d365_sales_order_lines.LineNumber IS 'Line number within the order.';
COMMENT ON COLUMN raw.d365_sales_order_lines.ItemNumber IS 'Item: raw.d365_released_products.ItemNumber.';
COMMENT ON COLUMN raw.d365_sales_order_lines.LineDescription IS 'Line text.';
COMMENT ON COLUMN raw.d365_sales_order_lines.OrderedSalesQuantity IS 'Quantity ordered, in SalesUnitSymbol.';
COMMENT ON COLUMN raw.d365_sales_order_lines.SalesUnitSymbol IS 'Sales unit.';
COMMENT ON COLUMN raw.d365_sales_order_lines.SalesPrice IS 'Unit price, exact decimal (up to 6 places).';
COMMENT ON COLUMN raw.d365_sales_order_lines.LineAmount IS 'Net line amount in CurrencyCode, exact decimal.';
COMMENT ON COLUMN raw.d365_sales_order_lines.CurrencyCode IS 'Line currency.';
COMMENT ON COLUMN raw.d365_sales_order_lines.SalesOrderLineStatus IS 'Backorder, Delivered, Invoiced, Canceled.';
COMMENT ON COLUMN raw.d365_sales_order_lines.pulled_at IS 'When the pull that last wrote this line started (UTC).';
COMMENT ON COLUMN raw.d365_sales_order_lines.ShippingSiteId IS 'Site the line ships from; blank: the order''s.';
COMMENT ON COLUMN raw.d365_sales_order_lines.ShippingWarehouseId IS 'Warehouse the line ships from (raw.d365_warehouses_on_hand.InventoryWarehouseId); blank: the order''s DefaultShippingWarehouseId.';
