-- new_payment_requests: the Heartland payment requests that confirmed D365 card orders still
-- lack, recorded at $now. An order gets one when it is Confirmed and not Canceled, its method of
-- payment maps to link or stored_card in ref.order_payment_methods (the customer's own row wins
-- over the legal entity's, which wins over '*'), ops.payment_requests holds none for it, and the
-- gateway has not already taken its money (a captured sale whose reference is the order number in
-- canonical.payments: an order paid by card over the phone is never asked to pay again).
-- The e-mail a link goes to is the golden record's (mdm.customers through mdm.customer_xref), and
-- only its masked form is kept here.
CREATE OR REPLACE TEMP TABLE new_payment_requests AS
WITH confirmed_orders AS (
    SELECT
        lower(dataAreaId) AS legal_entity,
        SalesOrderNumber AS sales_order_number,
        upper(replace(trim(CustomerPaymentMethodName), ' ', '_')) AS payment_method_name,
        InvoiceCustomerAccountNumber AS customer_account,
        OrderTotalAmount AS amount,
        upper(CurrencyCode) AS currency
    FROM raw.d365_sales_orders
    WHERE SalesOrderProcessingStatus = 'Confirmed'
      AND coalesce(SalesOrderStatus, '') <> 'Canceled'
      AND OrderTotalAmount > 0
      AND coalesce(InvoiceCustomerAccountNumber, '') <> ''
),
chosen_requests AS (
    SELECT o.*, m.request AS kind, m.link_expiry_hours
    FROM confirmed_orders AS o
    JOIN ref.order_payment_methods AS m
      ON m.payment_method_name = o.payment_method_name
     AND m.legal_entity IN (o.legal_entity, '*')
     AND m.customer_account IN (upper(o.customer_account), '*')
    QUALIFY row_number() OVER (
        PARTITION BY o.legal_entity, o.sales_order_number
        ORDER BY m.customer_account <> '*' DESC, m.legal_entity <> '*' DESC
    ) = 1
),
golden_emails AS (
    SELECT x.source_key, c.email
    FROM mdm.customer_xref AS x
    JOIN mdm.customers AS c USING (golden_id)
    WHERE x.source = 'd365' AND c.status = 'active'
)
SELECT
    r.legal_entity || '-' || r.sales_order_number || '-' || r.kind AS request_id,
    r.legal_entity,
    r.sales_order_number,
    r.kind,
    r.amount,
    r.currency,
    r.customer_account,
    CASE WHEN r.kind = 'link' THEN mask_email(e.email) END AS payer_email_masked,
    CASE WHEN r.kind = 'link' THEN $now + to_hours(r.link_expiry_hours) END AS expires_at,
    $now AS recorded_at
FROM chosen_requests AS r
LEFT JOIN golden_emails AS e ON e.source_key = r.legal_entity || '/' || r.customer_account
WHERE r.kind IN ('link', 'stored_card')
  AND NOT EXISTS (
      SELECT 1 FROM ops.payment_requests AS p
      WHERE p.legal_entity = r.legal_entity AND p.sales_order_number = r.sales_order_number
  )
  AND NOT EXISTS (
      SELECT 1 FROM canonical.payments AS g
      WHERE g.reference = r.sales_order_number AND g.transaction_type = 'SALE'
        AND g.gateway_status IN ('CAPTURED', 'BATCHED', 'FUNDED')
  )
ORDER BY r.legal_entity, r.sales_order_number
