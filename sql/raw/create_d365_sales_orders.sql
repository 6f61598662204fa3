-- D365 SalesOrderHeadersV2 of every legal entity. Pulled incrementally: orders created since
-- the newest one held (less an overlap) are upserted by key; the entity has no modification
-- timestamp, so a change to an older order is picked up by the weekly full pull.
CREATE TABLE IF NOT EXISTS raw.d365_sales_orders (
    dataAreaId                      VARCHAR NOT NULL,
    SalesOrderNumber                VARCHAR NOT NULL,
    SalesOrderName                  VARCHAR,
    OrderingCustomerAccountNumber   VARCHAR,
    InvoiceCustomerAccountNumber    VARCHAR,
    CurrencyCode                    VARCHAR,
    SalesOrderStatus                VARCHAR,
    SalesOrderProcessingStatus      VARCHAR,
    OrderCreationDateTime           TIMESTAMPTZ,
    RequestedShippingDate           TIMESTAMPTZ,
    CustomersOrderReference         VARCHAR,
    CustomerPaymentMethodName       VARCHAR,
    DefaultShippingWarehouseId      VARCHAR,
    OrderTotalAmount                DECIMAL(18,2),
    OrderTotalTaxAmount             DECIMAL(18,2),
    pulled_at                       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataAreaId, SalesOrderNumber)
);
COMMENT ON TABLE raw.d365_sales_orders IS 'D365 SalesOrderHeadersV2, all legal entities. Incremental on OrderCreationDateTime (new orders only; no modification timestamp exists), full on Sundays.';
COMMENT ON COLUMN raw.d365_sales_orders.dataAreaId IS 'Legal entity (company), lower case. Key with SalesOrderNumber.';
COMMENT ON COLUMN raw.d365_sales_orders.SalesOrderNumber IS 'Sales order number (SO-000001).';
COMMENT ON COLUMN raw.d365_sales_orders.SalesOrderName IS 'Order name (the customer name by default).';
COMMENT ON COLUMN raw.d365_sales_orders.OrderingCustomerAccountNumber IS 'Customer who ordered: raw.d365_customers.CustomerAccount.';
COMMENT ON COLUMN raw.d365_sales_orders.InvoiceCustomerAccountNumber IS 'Customer invoiced.';
COMMENT ON COLUMN raw.d365_sales_orders.CurrencyCode IS 'Order currency.';
COMMENT ON COLUMN raw.d365_sales_orders.SalesOrderStatus IS 'Backorder, Delivered, Invoiced, Canceled.';
COMMENT ON COLUMN raw.d365_sales_orders.SalesOrderProcessingStatus IS 'Processing status (Confirmed, ...).';
COMMENT ON COLUMN raw.d365_sales_orders.OrderCreationDateTime IS 'When the order was created in D365: the incremental pull''s watermark.';
COMMENT ON COLUMN raw.d365_sales_orders.RequestedShippingDate IS 'Requested ship date, as D365 sends dates: noon UTC; 1900-01-01 means none.';
COMMENT ON COLUMN raw.d365_sales_orders.CustomersOrderReference IS 'Customer''s purchase order reference.';
COMMENT ON COLUMN raw.d365_sales_orders.CustomerPaymentMethodName IS 'Method of payment (CARD: paid later through Heartland).';
COMMENT ON COLUMN raw.d365_sales_orders.DefaultShippingWarehouseId IS 'Shipping warehouse.';
COMMENT ON COLUMN raw.d365_sales_orders.OrderTotalAmount IS 'Order total including tax, in CurrencyCode, exact decimal.';
COMMENT ON COLUMN raw.d365_sales_orders.OrderTotalTaxAmount IS 'Tax in the order total, in CurrencyCode.';
COMMENT ON COLUMN raw.d365_sales_orders.pulled_at IS 'When the pull that last wrote this order started (UTC).';
