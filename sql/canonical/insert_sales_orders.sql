-- Rebuild canonical.sales_orders: every order raw.d365_sales_orders holds (D365's current state as
-- last pulled), its lines summed, and the newest SalesOrderChangedBusinessEvent received for it —
-- newest by ControlNumber, which D365 increases with every event, not by arrival: an older event
-- delivered late never becomes the last one.
DELETE FROM canonical.sales_orders;
INSERT INTO canonical.sales_orders BY NAME
WITH line_totals AS (
    SELECT dataAreaId, SalesOrderNumber, sum(LineAmount) AS lines_total, count(*) AS line_count
    FROM raw.d365_sales_order_lines
    GROUP BY ALL
),
order_events AS (
    SELECT
        lower(BusinessEventLegalEntity) AS dataAreaId,
        SalesOrderNumber,
        arg_max(e, ControlNumber) AS newest,
        count(DISTINCT event_id) AS events_received
    FROM raw.d365_business_events AS e
    WHERE BusinessEventId = 'SalesOrderChangedBusinessEvent' AND SalesOrderNumber IS NOT NULL
    GROUP BY ALL
)
SELECT
    o.dataAreaId AS legal_entity,
    o.SalesOrderNumber AS sales_order_number,
    o.SalesOrderName AS sales_order_name,
    o.OrderingCustomerAccountNumber AS ordering_customer_account,
    o.InvoiceCustomerAccountNumber AS invoice_customer_account,
    o.CurrencyCode AS currency,
    o.OrderTotalAmount AS order_total,
    o.OrderTotalTaxAmount AS order_tax_total,
    coalesce(l.lines_total, 0) AS lines_total,
    coalesce(l.line_count, 0) AS line_count,
    o.SalesOrderStatus AS sales_order_status,
    o.SalesOrderProcessingStatus AS processing_status,
    coalesce(o.SalesOrderStatus = 'Canceled' OR o.SalesOrderProcessingStatus = 'Canceled', false)
        AS cancelled,
    o.CustomerPaymentMethodName AS payment_method_name,
    o.CustomersOrderReference AS customers_order_reference,
    o.DefaultShippingWarehouseId AS warehouse_id,
    o.OrderCreationDateTime AS created_at,
    CASE WHEN o.RequestedShippingDate >= TIMESTAMPTZ '1900-01-02 00:00:00+00'
         THEN CAST(o.RequestedShippingDate AT TIME ZONE 'UTC' AS DATE) END AS requested_shipping_date,
    ev.newest.ControlNumber AS last_event_control_number,
    ev.newest.EventTime AS last_event_time,
    ev.newest.event_id AS last_event_id,
    ev.newest.SalesOrderProcessingStatus AS last_event_processing_status,
    coalesce(ev.events_received, 0) AS events_received,
    o.pulled_at
FROM raw.d365_sales_orders AS o
LEFT JOIN line_totals AS l USING (dataAreaId, SalesOrderNumber)
LEFT JOIN order_events AS ev
    ON ev.dataAreaId = o.dataAreaId AND ev.SalesOrderNumber = o.SalesOrderNumber;
