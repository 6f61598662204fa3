-- risk_held_payment_requests: the payment requests not to send yet (recorded or waiting) because
-- the order's customer or card has a risk alert nobody has cleared: its recon.exceptions row is
-- open, or a reviewer found it fraud. The alert's transactions name their card tokens
-- (canonical.payments); a token, the golden customer it belongs to (mdm.customer_xref) or that
-- customer's e-mail matches the order's golden customer, its e-mail, or the stored card a
-- request charges. not_fraud, accepted and resolved release the order for the next run.
CREATE OR REPLACE TEMP TABLE risk_held_payment_requests AS
WITH unreviewed_alerts AS (
    SELECT a.alert_id, unnest(a.record_ids) AS record_id
    FROM risk.alerts AS a
    JOIN recon.exceptions AS e USING (exception_id)
    WHERE e.status IN ('open', 'fraud')
),
alert_cards AS (
    SELECT DISTINCT u.alert_id, p.payment_token
    FROM unreviewed_alerts AS u
    JOIN canonical.payments AS p ON p.transaction_id = substr(u.record_id, length('transaction:') + 1)
    WHERE u.record_id LIKE 'transaction:%' AND p.payment_token IS NOT NULL
),
alert_customers AS (
    SELECT c.alert_id, c.payment_token, g.golden_id, lower(g.email) AS email
    FROM alert_cards AS c
    LEFT JOIN mdm.customer_xref AS x ON x.source = 'payments' AND x.source_key = c.payment_token
    LEFT JOIN mdm.customers AS g ON g.golden_id = x.golden_id
),
order_customers AS (
    SELECT p.request_id, p.payment_method_id, g.golden_id, lower(g.email) AS email
    FROM ops.payment_requests AS p
    LEFT JOIN mdm.customer_xref AS x
      ON x.source = 'd365' AND x.source_key = p.legal_entity || '/' || p.customer_account
    LEFT JOIN mdm.customers AS g ON g.golden_id = x.golden_id
    WHERE p.status IN ('recorded', 'waiting')
)
SELECT o.request_id, list(DISTINCT a.alert_id ORDER BY a.alert_id) AS alert_ids
FROM order_customers AS o
JOIN alert_customers AS a
  ON a.golden_id = o.golden_id OR a.email = o.email OR a.payment_token = o.payment_method_id
GROUP BY o.request_id;
