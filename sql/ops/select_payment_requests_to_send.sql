-- The payment requests to send (or to look up first): recorded ones, and those whose last
-- attempt ended without a result (sent, unknown, waiting), except those a risk alert holds
-- (stage_risk_held_payment_requests.sql, run first). Each comes with what the GP request
-- needs and the table does not keep: the golden record's e-mail for a link, the stored-credential
-- fields of ref.order_payment_methods for a stored card, the currency's minor-unit exponent.
WITH golden_emails AS (
    SELECT x.source_key, c.email
    FROM mdm.customer_xref AS x
    JOIN mdm.customers AS c USING (golden_id)
    WHERE x.source = 'd365' AND c.status = 'active'
),
stored_credentials AS (
    SELECT p.request_id, m.initiator, m.stored_credential_model, m.stored_credential_sequence
    FROM ops.payment_requests AS p
    JOIN ref.order_payment_methods AS m
      ON m.request = 'stored_card'
     AND m.legal_entity IN (p.legal_entity, '*')
     AND m.customer_account IN (upper(p.customer_account), '*')
    WHERE p.kind = 'stored_card'
    QUALIFY row_number() OVER (
        PARTITION BY p.request_id
        ORDER BY m.customer_account <> '*' DESC, m.legal_entity <> '*' DESC
    ) = 1
)
SELECT
    p.request_id, p.legal_entity, p.sales_order_number, p.kind, p.amount, p.currency,
    p.customer_account, p.payment_method_id, p.status, p.expires_at, p.recorded_at, p.attempts,
    CASE WHEN p.kind = 'link' THEN e.email END AS email,
    mask_email(CASE WHEN p.kind = 'link' THEN e.email END) AS payer_email_masked,
    coalesce(s.initiator, 'MERCHANT') AS initiator,
    coalesce(s.stored_credential_model, 'UNSCHEDULED') AS stored_credential_model,
    coalesce(s.stored_credential_sequence, 'SUBSEQUENT') AS stored_credential_sequence,
    c.minor_unit_exponent
FROM ops.payment_requests AS p
LEFT JOIN golden_emails AS e ON e.source_key = p.legal_entity || '/' || p.customer_account
LEFT JOIN stored_credentials AS s USING (request_id)
LEFT JOIN ref.currencies AS c ON c.currency = p.currency
WHERE p.status IN ('recorded', 'sent', 'unknown', 'waiting')
  -- an order whose customer or card has an unreviewed risk alert waits for the review
  AND p.request_id NOT IN (SELECT request_id FROM risk_held_payment_requests)
ORDER BY p.recorded_at, p.request_id
