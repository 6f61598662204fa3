-- D365 sales orders in their current state, one row per order, with the last business event that
-- announced a change of it. Rebuilt whole from raw.d365_sales_orders / raw.d365_business_events.
CREATE TABLE IF NOT EXISTS canonical.sales_orders (
    legal_entity                VARCHAR NOT NULL,
    sales_order_number          VARCHAR NOT NULL,
    sales_order_name            VARCHAR,
    ordering_customer_account   VARCHAR,
    invoice_customer_account    VARCHAR,
    currency                    VARCHAR,
    order_total                 DECIMAL(18,2),
    order_tax_total             DECIMAL(18,2),
    lines_total                 DECIMAL(18,2) NOT NULL,
    line_count                  INTEGER NOT NULL,
    sales_order_status          VARCHAR,
    processing_status           VARCHAR,
    cancelled                   BOOLEAN NOT NULL,
    payment_method_name         VARCHAR,
    customers_order_reference   VARCHAR,
    warehouse_id                VARCHAR,
    created_at                  TIMESTAMPTZ,
    requested_shipping_date     DATE,
    last_event_control_number   BIGINT,
    last_event_time             TIMESTAMPTZ,
    last_event_id               VARCHAR,
    last_event_processing_status VARCHAR,
    events_received             INTEGER NOT NULL,
    pulled_at                   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (legal_entity, sales_order_number)
);
COMMENT ON TABLE canonical.sales_orders IS 'D365 sales orders as D365 last answered for them (the nightly poll by creation time, the weekly full pull, and the targeted pull each SalesOrderChangedBusinessEvent triggers), one row per legal entity and order, with the newest business event (highest ControlNumber) received for it.';
COMMENT ON COLUMN canonical.sales_orders.legal_entity IS 'D365 legal entity (dataAreaId), lower case. Source: raw.d365_sales_orders(dataAreaId)';
COMMENT ON COLUMN canonical.sales_orders.sales_order_number IS 'D365 sales order number. Source: raw.d365_sales_orders(SalesOrderNumber)';
COMMENT ON COLUMN canonical.sales_orders.sales_order_name IS 'Order name (the customer''s name by default). Source: raw.d365_sales_orders(SalesOrderName)';
COMMENT ON COLUMN canonical.sales_orders.ordering_customer_account IS 'Customer who ordered (D365 customer account). Source: raw.d365_sales_orders(OrderingCustomerAccountNumber)';
COMMENT ON COLUMN canonical.sales_orders.invoice_customer_account IS 'Customer invoiced: whose customer payment journal line a payment posts to. Source: raw.d365_sales_orders(InvoiceCustomerAccountNumber)';
COMMENT ON COLUMN canonical.sales_orders.currency IS 'Order currency (ISO 4217). Source: raw.d365_sales_orders(CurrencyCode)';
COMMENT ON COLUMN canonical.sales_orders.order_total IS 'Order total including tax as D365 computed it, exact, in currency. Source: raw.d365_sales_orders(OrderTotalAmount)';
COMMENT ON COLUMN canonical.sales_orders.order_tax_total IS 'Tax in the order total, exact, in currency. Source: raw.d365_sales_orders(OrderTotalTaxAmount)';
COMMENT ON COLUMN canonical.sales_orders.lines_total IS 'Sum of the order''s net line amounts (0 without lines), exact, in currency. Source: raw.d365_sales_order_lines(LineAmount)';
COMMENT ON COLUMN canonical.sales_orders.line_count IS 'Lines the order has in D365. Source: raw.d365_sales_order_lines(InventoryLotId)';
COMMENT ON COLUMN canonical.sales_orders.sales_order_status IS 'SalesStatus: Backorder (open order), Delivered, Invoiced, Canceled. Source: raw.d365_sales_orders(SalesOrderStatus)';
COMMENT ON COLUMN canonical.sales_orders.processing_status IS 'SalesOrderProcessingStatus: Active, Confirmed, Picked, Delivered, Invoiced, Canceled, ... Source: raw.d365_sales_orders(SalesOrderProcessingStatus)';
COMMENT ON COLUMN canonical.sales_orders.cancelled IS 'True when D365 cancelled the order (either status is Canceled): no payment may be asked for it. Source: raw.d365_sales_orders(SalesOrderStatus, SalesOrderProcessingStatus)';
COMMENT ON COLUMN canonical.sales_orders.payment_method_name IS 'Customer method of payment (CARD: collected through Heartland). Source: raw.d365_sales_orders(CustomerPaymentMethodName)';
COMMENT ON COLUMN canonical.sales_orders.customers_order_reference IS 'Customer''s own order reference. Source: raw.d365_sales_orders(CustomersOrderReference)';
COMMENT ON COLUMN canonical.sales_orders.warehouse_id IS 'Default shipping warehouse. Source: raw.d365_sales_orders(DefaultShippingWarehouseId)';
COMMENT ON COLUMN canonical.sales_orders.created_at IS 'When the order was created in D365 (UTC). Source: raw.d365_sales_orders(OrderCreationDateTime)';
COMMENT ON COLUMN canonical.sales_orders.requested_shipping_date IS 'Requested ship date; NULL for D365''s empty date 1900-01-01. Source: raw.d365_sales_orders(RequestedShippingDate)';
COMMENT ON COLUMN canonical.sales_orders.last_event_control_number IS 'ControlNumber of the newest SalesOrderChangedBusinessEvent received for the order (ControlNumber order, not arrival order); NULL when none arrived (the order came by the poll). Source: raw.d365_business_events(ControlNumber)';
COMMENT ON COLUMN canonical.sales_orders.last_event_time IS 'EventTime of that newest event (UTC). Source: raw.d365_business_events(EventTime)';
COMMENT ON COLUMN canonical.sales_orders.last_event_id IS 'EventId of that newest event. Source: raw.d365_business_events(event_id)';
COMMENT ON COLUMN canonical.sales_orders.last_event_processing_status IS 'Processing status the newest event announced; the order''s own status is processing_status (read from D365 after the event). Source: raw.d365_business_events(SalesOrderProcessingStatus)';
COMMENT ON COLUMN canonical.sales_orders.events_received IS 'Distinct business events received for the order (redeliveries are in ops.duplicate_events). Source: raw.d365_business_events(event_id)';
COMMENT ON COLUMN canonical.sales_orders.pulled_at IS 'When the pull that last read the order from D365 started (UTC). Source: raw.d365_sales_orders(pulled_at)';
