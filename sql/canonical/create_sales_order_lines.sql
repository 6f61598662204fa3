-- D365 sales order lines in their current state, one row per line, rebuilt whole.
CREATE TABLE IF NOT EXISTS canonical.sales_order_lines (
    legal_entity            VARCHAR NOT NULL,
    sales_order_number      VARCHAR NOT NULL,
    line_id                 VARCHAR NOT NULL,
    line_number             DECIMAL(18,6),
    item_number             VARCHAR,
    description             VARCHAR,
    quantity                DECIMAL(18,6),
    unit                    VARCHAR,
    unit_price              DECIMAL(18,6),
    line_amount             DECIMAL(18,2),
    currency                VARCHAR,
    line_status             VARCHAR,
    cancelled               BOOLEAN NOT NULL,
    warehouse_id            VARCHAR,
    pulled_at               TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (legal_entity, line_id)
);
COMMENT ON TABLE canonical.sales_order_lines IS 'D365 sales order lines as D365 last answered for their order, one row per line (InventoryLotId), with the order''s shipping warehouse.';
COMMENT ON COLUMN canonical.sales_order_lines.legal_entity IS 'D365 legal entity (dataAreaId), lower case. Source: raw.d365_sales_order_lines(dataAreaId)';
COMMENT ON COLUMN canonical.sales_order_lines.sales_order_number IS 'The order: canonical.sales_orders.sales_order_number. Source: raw.d365_sales_order_lines(SalesOrderNumber)';
COMMENT ON COLUMN canonical.sales_order_lines.line_id IS 'The line''s key in D365 (InventoryLotId). Source: raw.d365_sales_order_lines(InventoryLotId)';
COMMENT ON COLUMN canonical.sales_order_lines.line_number IS 'Line number within the order. Source: raw.d365_sales_order_lines(LineNumber)';
COMMENT ON COLUMN canonical.sales_order_lines.item_number IS 'D365 item number. Source: raw.d365_sales_order_lines(ItemNumber)';
COMMENT ON COLUMN canonical.sales_order_lines.description IS 'Line text. Source: raw.d365_sales_order_lines(LineDescription)';
COMMENT ON COLUMN canonical.sales_order_lines.quantity IS 'Quantity ordered, in unit, exact. Source: raw.d365_sales_order_lines(OrderedSalesQuantity)';
COMMENT ON COLUMN canonical.sales_order_lines.unit IS 'Sales unit. Source: raw.d365_sales_order_lines(SalesUnitSymbol)';
COMMENT ON COLUMN canonical.sales_order_lines.unit_price IS 'Unit price, exact. Source: raw.d365_sales_order_lines(SalesPrice)';
COMMENT ON COLUMN canonical.sales_order_lines.line_amount IS 'Net line amount, exact, in currency. Source: raw.d365_sales_order_lines(LineAmount)';
COMMENT ON COLUMN canonical.sales_order_lines.currency IS 'Line currency. Source: raw.d365_sales_order_lines(CurrencyCode)';
COMMENT ON COLUMN canonical.sales_order_lines.line_status IS 'SalesStatus of the line: Backorder, Delivered, Invoiced, Canceled. Source: raw.d365_sales_order_lines(SalesOrderLineStatus)';
COMMENT ON COLUMN canonical.sales_order_lines.cancelled IS 'True when the line or its order is cancelled. Source: raw.d365_sales_order_lines(SalesOrderLineStatus)';
COMMENT ON COLUMN canonical.sales_order_lines.warehouse_id IS 'The order''s default shipping warehouse. Source: raw.d365_sales_orders(DefaultShippingWarehouseId)';
COMMENT ON COLUMN canonical.sales_order_lines.pulled_at IS 'When the pull that last read the line started (UTC). Source: raw.d365_sales_order_lines(pulled_at)';
