-- Rebuild recon.tenders_vs_gateway for $first..$last. Set-based, in four passes:
-- 1. by reference: the gateway transaction's reference is the POS tender id (split tenders, one
--    ticket paid by several cards, match card by card this way);
-- 2. transactions left whose reference is a D365 sales order of the store's legal entity and the
--    transaction's currency (raw.d365_sales_orders): phone and web orders paid by card, which no
--    POS ticket ever tenders; they are sales_order_payment, not exceptions;
-- 3. what is left, by store, currency and amount (tender + tip added after authorisation =
--    captured amount) within 10 minutes, each tender taking its nearest transaction one-to-one;
-- 4. whatever is still unmatched, on either side, with the reason.
-- Only money that moved takes part: captured transactions, card tenders of closed tickets.
DELETE FROM recon.tenders_vs_gateway WHERE business_date BETWEEN $first AND $last;

CREATE OR REPLACE TEMP TABLE recon_card_tenders AS
SELECT business_date, store_id, currency, ticket_id, tender_id, gateway_transaction_id,
       amount, coalesce(tip_amount, 0) AS tip_amount, local_closed_at
FROM canonical.pos_tenders
WHERE business_date BETWEEN $first AND $last AND tender_type = 'CARD' AND is_financial;

CREATE OR REPLACE TEMP TABLE recon_captured AS
SELECT business_date, store_id, legal_entity, currency, transaction_id, reference, amount, local_time
FROM canonical.payments
WHERE business_date BETWEEN $first AND $last AND is_financial;

CREATE OR REPLACE TEMP TABLE recon_by_reference AS
SELECT t.*, p.transaction_id, p.amount AS transaction_amount
FROM recon_card_tenders AS t
JOIN recon_captured AS p ON p.reference = t.tender_id;

-- The order key is (dataAreaId, SalesOrderNumber), so a transaction pays at most one order.
CREATE OR REPLACE TEMP TABLE recon_sales_order_payments AS
SELECT p.*, o.InvoiceCustomerAccountNumber AS customer_account,
       o.OrderTotalAmount AS order_total
FROM recon_captured AS p
JOIN raw.d365_sales_orders AS o
  ON o.SalesOrderNumber = p.reference AND lower(o.dataAreaId) = p.legal_entity
 AND upper(o.CurrencyCode) = p.currency
ANTI JOIN recon_by_reference USING (transaction_id);

CREATE OR REPLACE TEMP TABLE recon_by_store_amount_time AS
WITH tenders_left AS (
    SELECT * FROM recon_card_tenders ANTI JOIN recon_by_reference USING (tender_id)
),
captured_left AS (
    SELECT * FROM recon_captured
    ANTI JOIN recon_by_reference USING (transaction_id)
    ANTI JOIN recon_sales_order_payments USING (transaction_id)
),
candidates AS (
    SELECT
        t.*, p.transaction_id, p.amount AS transaction_amount,
        abs(epoch(p.local_time) - epoch(t.local_closed_at)) AS seconds_apart
    FROM tenders_left AS t
    JOIN captured_left AS p
      ON p.store_id = t.store_id AND p.currency = t.currency
     AND p.amount = t.amount + t.tip_amount
     AND p.local_time BETWEEN t.local_closed_at - INTERVAL 10 MINUTE AND t.local_closed_at + INTERVAL 10 MINUTE
),
ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY tender_id ORDER BY seconds_apart, transaction_id) AS tender_rank,
        row_number() OVER (PARTITION BY transaction_id ORDER BY seconds_apart, tender_id) AS transaction_rank
    FROM candidates
)
SELECT * EXCLUDE (seconds_apart, tender_rank, transaction_rank)
FROM ranked WHERE tender_rank = 1 AND transaction_rank = 1;

INSERT INTO recon.tenders_vs_gateway
SELECT business_date, store_id, currency,
       CASE WHEN transaction_amount = amount + tip_amount THEN 'matched' ELSE 'amount_difference' END,
       'reference', ticket_id, tender_id, transaction_id, amount, tip_amount, transaction_amount,
       transaction_amount - (amount + tip_amount),
       CASE WHEN transaction_amount <> amount + tip_amount
            THEN 'captured ' || transaction_amount || ' but the tender is ' || amount || ' + tip ' || tip_amount END
FROM recon_by_reference
UNION ALL
SELECT business_date, store_id, currency, 'matched', 'store_amount_time', ticket_id, tender_id,
       transaction_id, amount, tip_amount, transaction_amount, 0,
       'no transaction carries the tender id as reference; matched on store, amount and time'
FROM recon_by_store_amount_time
UNION ALL
SELECT business_date, store_id, currency, 'sales_order_payment', 'sales_order', NULL, NULL,
       transaction_id, NULL, NULL, amount, NULL,
       'pays D365 sales order ' || reference || ' of customer ' || coalesce(customer_account, '(none)')
       || ' (order total ' || order_total || ' ' || currency || '); no POS ticket behind it'
FROM recon_sales_order_payments
UNION ALL
SELECT t.business_date, t.store_id, t.currency, 'tender_without_gateway_transaction', NULL,
       t.ticket_id, t.tender_id, NULL, t.amount, t.tip_amount, NULL, NULL,
       'no captured gateway transaction has reference ' || t.tender_id
       || CASE WHEN coalesce(t.gateway_transaction_id, '') <> ''
               THEN ' (the tender names ' || t.gateway_transaction_id || ')' ELSE '' END
       || ', nor one of ' || t.store_id || ' for ' || (t.amount + t.tip_amount) || ' ' || t.currency
       || ' within 10 minutes'
FROM recon_card_tenders AS t
ANTI JOIN recon_by_reference USING (tender_id)
ANTI JOIN recon_by_store_amount_time USING (tender_id)
UNION ALL
SELECT p.business_date, p.store_id, p.currency, 'gateway_transaction_without_tender', NULL,
       NULL, NULL, p.transaction_id, NULL, NULL, p.amount, NULL,
       CASE WHEN p.reference LIKE 'SO-%'
            THEN 'reference ' || p.reference || ' looks like a D365 sales order, but '
                 || 'raw.d365_sales_orders holds no sales order ' || p.reference || ' of legal entity '
                 || coalesce(p.legal_entity, '?') || ' in ' || p.currency
                 || ' (D365 not pulled yet, or an unknown order number); '
            ELSE ''
       END
       || 'no POS card tender has id ' || coalesce(p.reference, '(none)') || ', nor one of '
       || coalesce(p.store_id, '?') || ' for ' || p.amount || ' ' || p.currency || ' within 10 minutes'
FROM recon_captured AS p
ANTI JOIN recon_by_reference USING (transaction_id)
ANTI JOIN recon_sales_order_payments USING (transaction_id)
ANTI JOIN recon_by_store_amount_time USING (transaction_id);

DROP TABLE recon_card_tenders;
DROP TABLE recon_captured;
DROP TABLE recon_by_reference;
DROP TABLE recon_sales_order_payments;
DROP TABLE recon_by_store_amount_time;
