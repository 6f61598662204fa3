-- canonical.order_payments for $first..$last: every event about an order's payment, mapped to the
-- state it means (shared/reference/gp-api-orders-customers.md §5), and kept only where it changes
-- the order's state or moves to another transaction. The whole history of each order is ranked so
-- sequence numbers and "is it a change" agree whichever days are rebuilt; only the window's rows
-- are inserted (delete_partition.sql removed them first).
INSERT INTO canonical.order_payments
WITH orders AS (
    SELECT lower(dataAreaId) AS legal_entity, SalesOrderNumber AS sales_order_number,
           upper(CurrencyCode) AS currency, OrderTotalAmount AS order_total
    FROM raw.d365_sales_orders
),
entity_zones AS (
    -- A request has no store: its day is the one of the legal entity's first store in its
    -- currency (mappings/stores.csv), the store that takes the entity's card-not-present money.
    SELECT lower(legal_entity) AS legal_entity, currency, arg_min(timezone, store_id) AS timezone
    FROM ref.stores GROUP BY ALL
),
notified AS (
    SELECT n.business_date, n.order_reference AS sales_order_number,
           CASE
               WHEN n.type = 'REFUND' AND n.status IN ('CAPTURED', 'BATCHED', 'FUNDED') THEN 'refunded'
               WHEN n.type = 'REFUND' THEN NULL
               WHEN n.status IN ('CAPTURED', 'BATCHED', 'FUNDED') THEN 'paid'
               WHEN n.status = 'PREAUTHORIZED' THEN 'authorised'
               WHEN n.status IN ('INITIATED', 'PENDING', 'AUTHENTICATED', 'SUCCESS_AUTHENTICATED') THEN 'awaiting_payment'
               WHEN n.status IN ('DECLINED', 'REJECTED') THEN 'declined'
               WHEN n.status = 'FAILED' THEN 'failed'
               WHEN n.status = 'CANCELLED' THEN 'cancelled'
               WHEN n.status = 'REVERSED' THEN 'voided'
           END AS state,
           n.status AS gp_status, n.type AS transaction_type,
           CASE WHEN n.type = 'REFUND' THEN -1 ELSE 1 END
               * minor_to_amount(n.amount, coalesce(c.minor_unit_exponent, 2)) AS amount,
           n.currency, n.transaction_id, n.link_id, NULL::VARCHAR AS request_id,
           coalesce(n.time_last_updated, n.time_created) AS event_time,
           CASE n.event_type WHEN 'payment.polled' THEN 'poll' ELSE 'notification' END AS source_event,
           n.event_id AS source_event_id, n.segment_path AS source_segment_path,
           n.line_number AS source_line_number, 2 AS tie_rank
    FROM raw.payment_notifications AS n
    LEFT JOIN ref.currencies AS c ON c.currency = n.currency
),
order_transactions AS (
    SELECT DISTINCT transaction_id, sales_order_number, currency
    FROM notified WHERE sales_order_number IS NOT NULL AND transaction_type = 'SALE'
),
gateway_refunds AS (
    -- A refund of an order's payment made at the gateway (POST /transactions/{id}/refund) may
    -- carry no order reference and send no notification; the gateway feed has it, naming the sale.
    SELECT t.business_date, o.sales_order_number, 'refunded' AS state, t.status AS gp_status,
           'REFUND' AS transaction_type,
           -minor_to_amount(t.amount, coalesce(c.minor_unit_exponent, 2)) AS amount,
           t.currency, t.transaction_id, NULL AS link_id, NULL AS request_id,
           coalesce(t.time_last_updated, t.time_created) AS event_time, 'gateway' AS source_event,
           t.event_id AS source_event_id, t.segment_path AS source_segment_path,
           t.line_number AS source_line_number, 3 AS tie_rank
    FROM raw.payment_transactions AS t
    JOIN order_transactions AS o ON o.transaction_id = t.parent_resource_id AND o.currency = t.currency
    LEFT JOIN ref.currencies AS c ON c.currency = t.currency
    WHERE t.type = 'REFUND' AND t.status IN ('CAPTURED', 'BATCHED', 'FUNDED')
      AND NOT EXISTS (SELECT 1 FROM notified AS n WHERE n.transaction_id = t.transaction_id)
),
requested AS (
    SELECT r.request_id, lower(r.legal_entity) AS legal_entity, r.sales_order_number, r.kind,
           r.status, r.amount, upper(r.currency) AS currency, r.gp_id, r.expires_at,
           -- A charge's answer is its transaction, timed by GP before we record it: the request
           -- counts from when it left, so the transaction's state follows it.
           CASE WHEN r.kind = 'stored_card' THEN coalesce(r.sent_at, r.recorded_at)
                ELSE coalesce(r.answered_at, r.sent_at, r.recorded_at) END AS event_time,
           coalesce(z.timezone, 'UTC') AS timezone
    FROM ops.payment_requests AS r
    LEFT JOIN entity_zones AS z
      ON z.legal_entity = lower(r.legal_entity) AND z.currency = upper(r.currency)
    WHERE r.sales_order_number IS NOT NULL
),
gateway_charges AS (
    -- A stored-card charge is answered at once and sends no notification: the gateway feed
    -- (webhooks, the end-of-day pull) carries its transaction, which the request names (gp_id).
    SELECT t.business_date, r.sales_order_number,
           CASE
               WHEN t.status IN ('CAPTURED', 'BATCHED', 'FUNDED') THEN 'paid'
               WHEN t.status = 'PREAUTHORIZED' THEN 'authorised'
               WHEN t.status IN ('DECLINED', 'REJECTED') THEN 'declined'
               WHEN t.status = 'REVERSED' THEN 'voided'
           END AS state,
           t.status AS gp_status, 'SALE' AS transaction_type,
           minor_to_amount(t.amount, coalesce(c.minor_unit_exponent, 2)) AS amount,
           t.currency, t.transaction_id, NULL AS link_id, r.request_id,
           coalesce(t.time_last_updated, t.time_created) AS event_time, 'gateway' AS source_event,
           t.event_id AS source_event_id, t.segment_path AS source_segment_path,
           t.line_number AS source_line_number, 3 AS tie_rank, r.legal_entity
    FROM raw.payment_transactions AS t
    JOIN requested AS r ON r.gp_id = t.transaction_id AND r.currency = t.currency
    LEFT JOIN ref.currencies AS c ON c.currency = t.currency
    WHERE t.type = 'SALE'
      AND NOT EXISTS (SELECT 1 FROM notified AS n WHERE n.transaction_id = t.transaction_id)
),
request_events AS (
    -- What the request itself tells: a link is out and waiting to be paid; a stored-card charge
    -- GP refused. A charge GP took is told by its transaction (gateway_charges, notification or
    -- poll).
    SELECT CAST(timezone(timezone, event_time) AS DATE) AS business_date, sales_order_number,
           CASE
               WHEN status IN ('declined') THEN 'declined'
               WHEN status IN ('failed') THEN 'failed'
               WHEN status IN ('sent', 'created', 'unknown', 'waiting') THEN 'awaiting_payment'
           END AS state,
           status AS gp_status, NULL AS transaction_type, amount, currency,
           CASE WHEN starts_with(gp_id, 'TRN_') THEN gp_id END AS transaction_id,
           CASE WHEN starts_with(gp_id, 'LNK_') THEN gp_id END AS link_id, request_id,
           event_time, 'request' AS source_event, request_id AS source_event_id,
           NULL AS source_segment_path, NULL::BIGINT AS source_line_number, 1 AS tie_rank,
           legal_entity
    FROM requested
    WHERE event_time IS NOT NULL
),
expiries AS (
    -- A link whose expires_at passed with no payment (authorised or captured) before it.
    SELECT CAST(timezone(r.timezone, r.expires_at) AS DATE) AS business_date,
           r.sales_order_number, 'expired' AS state, 'EXPIRED' AS gp_status,
           NULL AS transaction_type, r.amount, r.currency, NULL AS transaction_id,
           CASE WHEN starts_with(r.gp_id, 'LNK_') THEN r.gp_id END AS link_id, r.request_id,
           r.expires_at AS event_time, 'request' AS source_event,
           r.request_id AS source_event_id, NULL AS source_segment_path,
           NULL::BIGINT AS source_line_number, 4 AS tie_rank, r.legal_entity
    FROM requested AS r
    WHERE r.kind = 'link' AND r.status IN ('sent', 'created', 'unknown', 'waiting')
      AND r.expires_at <= now()
      AND NOT EXISTS (
          SELECT 1 FROM notified AS n
          WHERE n.sales_order_number = r.sales_order_number AND n.currency = r.currency
            AND n.state IN ('paid', 'authorised') AND n.event_time <= r.expires_at)
),
events AS (
    SELECT *, NULL AS legal_entity FROM notified WHERE state IS NOT NULL
    UNION ALL BY NAME
    SELECT *, NULL AS legal_entity FROM gateway_refunds
    UNION ALL BY NAME
    SELECT * FROM request_events WHERE state IS NOT NULL
    UNION ALL BY NAME
    SELECT * FROM gateway_charges WHERE state IS NOT NULL
    UNION ALL BY NAME
    SELECT * FROM expiries
),
placed AS (
    -- The order of each event: the one named in its currency (an order number is unique per
    -- legal entity; the currency picks the entity when two share a number).
    SELECT e.*, o.legal_entity AS order_entity, o.order_total, o.sales_order_number IS NOT NULL AS order_known
    FROM events AS e
    LEFT JOIN orders AS o
      ON o.sales_order_number = e.sales_order_number AND o.currency = e.currency
     AND (e.legal_entity IS NULL OR o.legal_entity = e.legal_entity)
    QUALIFY row_number() OVER (
        PARTITION BY e.source_event_id, e.source_segment_path, e.source_line_number, e.state
        ORDER BY o.legal_entity) = 1
),
changes AS (
    SELECT *,
           lag(state) OVER history AS previous_state,
           lag(transaction_id) OVER history AS previous_transaction_id
    FROM placed
    WINDOW history AS (
        PARTITION BY coalesce(order_entity, legal_entity, '?'), coalesce(sales_order_number, source_event_id)
        ORDER BY event_time, tie_rank, source_event_id)
),
kept AS (
    SELECT *,
           row_number() OVER (
               PARTITION BY coalesce(order_entity, legal_entity, '?'), coalesce(sales_order_number, source_event_id)
               ORDER BY event_time, tie_rank, source_event_id) AS sequence
    FROM changes
    WHERE previous_state IS NULL OR state <> previous_state
       OR transaction_id IS DISTINCT FROM previous_transaction_id AND transaction_id IS NOT NULL
)
SELECT business_date, coalesce(order_entity, legal_entity), sales_order_number, order_known, state,
       gp_status, transaction_type, amount, currency, order_total, transaction_id, link_id,
       request_id, event_time, sequence, source_event, source_event_id, source_segment_path, source_line_number,
       CASE
           WHEN sales_order_number IS NULL THEN 'unknown_order: GP named no order (no link_data.reference, order.reference or reference)'
           WHEN NOT order_known THEN 'unknown_order: ' || sales_order_number || ' in ' || coalesce(currency, '?') || ' is not in raw.d365_sales_orders'
       END
FROM kept
WHERE business_date BETWEEN $first AND $last
