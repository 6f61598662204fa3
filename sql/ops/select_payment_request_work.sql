-- What the payment request sensor looks for in the read copy: confirmed D365 orders whose method
-- of payment some row of mappings/order_payment_methods.csv ($dir) sends to Heartland and that
-- have no payment request yet, and requests without a result (recorded, sent, unknown, waiting).
-- One row per piece of work, named so that the same work gives the same run key.
WITH card_methods AS (
    SELECT DISTINCT upper(replace(trim(payment_method_name), ' ', '_')) AS payment_method_name
    FROM read_csv($dir || '/order_payment_methods.csv', header = true, all_varchar = true)
    WHERE lower(trim(request)) IN ('link', 'stored_card')
)
SELECT 'order:' || lower(o.dataAreaId) || '/' || o.SalesOrderNumber AS work, false AS waiting
FROM raw.d365_sales_orders AS o
WHERE o.SalesOrderProcessingStatus = 'Confirmed'
  AND coalesce(o.SalesOrderStatus, '') <> 'Canceled'
  AND upper(replace(trim(o.CustomerPaymentMethodName), ' ', '_')) IN (SELECT payment_method_name FROM card_methods)
  AND NOT EXISTS (
      SELECT 1 FROM ops.payment_requests AS p
      WHERE p.legal_entity = lower(o.dataAreaId) AND p.sales_order_number = o.SalesOrderNumber
  )
UNION ALL
SELECT 'request:' || request_id || ':' || status || ':' || attempts, status = 'waiting'
FROM ops.payment_requests
WHERE status IN ('recorded', 'sent', 'unknown', 'waiting')
ORDER BY 1
