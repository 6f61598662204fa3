-- recon.exceptions of D365 order payments, as of $last: a payment for an order D365 does not hold,
-- an order paid more or less than its total, a declined payment, a link that expired unpaid. Same
-- lifecycle as record_exceptions.sql: a stable id per kind and source keys, the accountant's status
-- and note never touched, an exception no longer found closed as cleared with why, and an alert
-- the first time it is found. Orders are few, so every order-payment exception up to $last is
-- judged again, whichever day it belongs to: a decline stops standing when the order is paid
-- days later. $run_id: the Dagster run; $kinds: the kinds this file owns (order_payments/warehouse.py).
CREATE OR REPLACE TEMP TABLE order_payment_now AS
SELECT legal_entity, sales_order_number, arg_max(state, sequence) AS state,
       arg_max(transaction_id, sequence) AS transaction_id,
       arg_max(source_event_id, sequence) AS source_event_id,
       arg_max(source_segment_path, sequence) AS source_segment_path
FROM canonical.order_payments
WHERE business_date <= $last AND sales_order_number IS NOT NULL
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE order_payment_detected AS
WITH found AS (
    -- GP names an order D365 does not hold (or none): never posted, someone must find the payer.
    SELECT 'payment_for_unknown_order' AS kind, min(business_date) AS business_date,
           any_value(currency) AS currency, max(abs(amount)) AS amount_at_risk,
           max(abs(amount)) AS reported_amount, NULL::DECIMAL(18, 2) AS computed_amount,
           'transaction_id=' || transaction_id || ', order_reference=' || coalesce(any_value(sales_order_number), '(none)') AS source_keys,
           'GP reports ' || string_agg(DISTINCT gp_status, '/') || ' ' || transaction_id || ' of '
               || max(abs(amount)) || ' ' || any_value(currency) || ' for order '
               || coalesce(any_value(sales_order_number), '(none named)')
               || ', which raw.d365_sales_orders does not hold in that currency; not posted to D365' AS detail
    FROM canonical.order_payments
    WHERE business_date <= $last AND NOT order_known AND transaction_id IS NOT NULL
      AND source_event <> 'request'
    GROUP BY transaction_id
    UNION ALL
    -- Paid, but not the order total: a partial payment or one too many. Judged on the order's
    -- latest day in recon.order_payments.
    SELECT CASE WHEN difference > 0 THEN 'order_payment_over' ELSE 'order_payment_under' END,
           business_date, currency, abs(difference), net_paid_amount, order_total,
           'legal_entity=' || legal_entity || ', sales_order_number=' || sales_order_number,
           'order ' || sales_order_number || ' (' || legal_entity || ') totals ' || order_total || ' '
               || currency || '; Heartland captured ' || captured_amount
               || CASE WHEN refunded_amount <> 0 THEN ', refunded ' || -refunded_amount ELSE '' END
               || ', net ' || net_paid_amount || ' (' || transaction_ids || '): '
               || CASE WHEN difference > 0 THEN 'over by ' ELSE 'under by ' END || abs(difference)
    FROM recon.order_payments
    WHERE business_date <= $last AND order_known
    QUALIFY row_number() OVER (PARTITION BY legal_entity, sales_order_number ORDER BY business_date DESC) = 1
        AND status IN ('overpaid', 'underpaid')
    UNION ALL
    -- A declined (or failed) payment of an order not paid since.
    SELECT 'order_payment_declined', o.business_date, o.currency, abs(o.amount), abs(o.amount),
           o.order_total,
           'legal_entity=' || o.legal_entity || ', sales_order_number=' || o.sales_order_number
               || ', ' || CASE WHEN o.transaction_id IS NOT NULL THEN 'transaction_id=' || o.transaction_id
                               ELSE 'request_id=' || o.request_id END,
           'payment of order ' || o.sales_order_number || ' (' || o.legal_entity || ') for ' || abs(o.amount)
               || ' ' || o.currency || ' ' || o.state || ' (' || o.gp_status || ', '
               || o.source_event || ' ' || o.source_event_id || '); the order is now ' || n.state
    FROM canonical.order_payments AS o
    JOIN order_payment_now AS n
      ON n.legal_entity IS NOT DISTINCT FROM o.legal_entity AND n.sales_order_number = o.sales_order_number
    WHERE o.business_date <= $last AND o.order_known AND o.state IN ('declined', 'failed')
      AND n.state NOT IN ('paid', 'authorised', 'refunded')
    UNION ALL
    -- A link that expired with the order unpaid (and not paid since).
    SELECT 'order_payment_link_expired', o.business_date, o.currency, abs(o.amount), NULL,
           o.order_total,
           'legal_entity=' || o.legal_entity || ', sales_order_number=' || o.sales_order_number
               || ', request_id=' || o.request_id || ', link_id=' || coalesce(o.link_id, '(none)'),
           'payment link ' || coalesce(o.link_id, '(unknown)') || ' for order ' || o.sales_order_number
               || ' (' || o.legal_entity || ', ' || abs(o.amount) || ' ' || o.currency || ') expired at '
               || o.event_time || ' unpaid; the order is now ' || n.state || ': send a new link or chase the customer'
    FROM canonical.order_payments AS o
    JOIN order_payment_now AS n
      ON n.legal_entity IS NOT DISTINCT FROM o.legal_entity AND n.sales_order_number = o.sales_order_number
    WHERE o.business_date <= $last AND o.order_known AND o.state = 'expired'
      AND n.state NOT IN ('paid', 'authorised', 'refunded')
)
SELECT 'EXC_' || upper(md5(kind || '|' || source_keys)[1:20]) AS exception_id, f.kind,
       CASE WHEN f.amount_at_risk >= coalesce(tol.alert_threshold, 0) THEN 'high' ELSE 'medium' END AS severity,
       f.business_date, NULL::VARCHAR AS store_id, f.currency, f.amount_at_risk, f.reported_amount,
       f.computed_amount, f.source_keys, f.detail
FROM found AS f
LEFT JOIN ref.recon_tolerances AS tol ON tol.currency = f.currency
QUALIFY row_number() OVER (PARTITION BY exception_id ORDER BY f.business_date DESC) = 1;

UPDATE recon.exceptions AS e
SET severity = d.severity, amount_at_risk = d.amount_at_risk, reported_amount = d.reported_amount,
    computed_amount = d.computed_amount, detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL, cleared_by_event_id = NULL,
    cleared_by_segment_path = NULL, cleared_by_run_id = NULL
FROM order_payment_detected AS d
WHERE e.exception_id = d.exception_id;

-- What the order's payment says now, for each order-payment exception no longer found.
UPDATE recon.exceptions AS e
SET still_detected = false,
    status = CASE WHEN e.status = 'open' THEN 'cleared' ELSE e.status END,
    cleared_at = now(),
    cleared_reason = 'no longer found as of ' || $last || ': '
        || coalesce('order ' || n.sales_order_number || ' is now ' || n.state
                    || coalesce(' (' || n.transaction_id || ')', ''),
                    'its source rows are no longer there'),
    cleared_by_event_id = n.source_event_id,
    cleared_by_segment_path = n.source_segment_path,
    cleared_by_run_id = $run_id
FROM (
    SELECT x.exception_id, s.*
    FROM recon.exceptions AS x
    LEFT JOIN order_payment_now AS s
      ON s.sales_order_number = nullif(regexp_extract(x.source_keys, 'sales_order_number=([^,]+)', 1), '')
     AND s.legal_entity IS NOT DISTINCT FROM nullif(regexp_extract(x.source_keys, 'legal_entity=([^,]+)', 1), '')
    WHERE list_contains($kinds, x.kind)
      AND x.business_date <= $last
      AND (x.still_detected OR x.status = 'open')
      AND x.exception_id NOT IN (SELECT exception_id FROM order_payment_detected)
) AS n
WHERE e.exception_id = n.exception_id;

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, d.kind, d.severity, d.business_date, d.store_id, d.currency, d.amount_at_risk,
       d.reported_amount, d.computed_amount, d.source_keys, d.detail,
       d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM order_payment_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

-- Each is raised as an alert once, whatever its amount: a customer who could not pay, a link that
-- ran out, money for an order nobody knows and a wrong amount all need a person today.
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), 'high', 'reconciliation_' || d.kind, d.business_date,
       d.kind || ' of ' || d.amount_at_risk || ' ' || coalesce(d.currency, '') || ' (' || d.source_keys || '): ' || d.detail
FROM order_payment_detected AS d
ON CONFLICT DO NOTHING;

DROP TABLE order_payment_detected;
DROP TABLE order_payment_now;
