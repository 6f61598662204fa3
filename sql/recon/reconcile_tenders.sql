-- Rebuild recon.tenders_vs_gateway for $first..$last. Set-based, in four passes:
-- 1. by reference: the gateway transaction's reference is the POS tender id (split tenders, one
--    ticket paid by several cards, match card by card this way), one-to-one: when two
--    transactions carry the same tender id (the same capture arriving twice under two ids), the
--    tender takes the one in its currency at its amount, earliest first; the surplus is left as
--    gateway_transaction_without_tender naming the transaction the tender already took;
-- 1b. tenders left that name their gateway transaction (a Heartland Retail integrated card
--    payment carries it in custom.gateway_transaction_id; its reference is not the tender id),
--    one-to-one with a transaction pass 1 did not take;
-- 2. transactions left whose reference is a D365 sales order of the store's legal entity and the
--    transaction's currency (raw.d365_sales_orders): phone and web orders paid by card, which no
--    POS ticket ever tenders; they are sales_order_payment, not exceptions;
-- 3. what is left, by store, currency and amount (tender + tip added after authorisation =
--    captured amount) within 10 minutes, each tender taking its nearest transaction one-to-one;
-- 4. whatever is still unmatched, on either side, with the reason.
-- Only money that moved takes part: captured transactions, card tenders of closed tickets.
-- Money is compared only within a currency: a transaction whose currency disagrees with its
-- tender, its batch or its store (mappings/stores.csv: the currency the store takes and its legal
-- entity books it in) is currency_mismatch, naming both currencies, never matched.
DELETE FROM recon.tenders_vs_gateway WHERE business_date BETWEEN $first AND $last;

CREATE OR REPLACE TEMP TABLE recon_card_tenders AS
SELECT business_date, store_id, currency, ticket_id, tender_id, gateway_transaction_id,
       amount, coalesce(tip_amount, 0) AS tip_amount, local_closed_at
FROM canonical.pos_tenders
WHERE business_date BETWEEN $first AND $last AND tender_type = 'CARD' AND is_financial;

CREATE OR REPLACE TEMP TABLE recon_captured AS
WITH store_currencies AS (
    SELECT store_id, arg_max(currency, valid_from) AS currency FROM ref.stores GROUP BY store_id
),
batch_currencies AS (
    SELECT business_date, batch_id, any_value(currency) AS currency
    FROM canonical.settlement_batches
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
)
SELECT p.business_date, p.store_id, p.legal_entity, p.currency, p.transaction_id, p.reference,
       p.amount, p.local_time,
       nullif(concat_ws('; ',
           CASE WHEN b.currency <> p.currency THEN 'its batch ' || p.batch_id || ' is in ' || b.currency END,
           CASE WHEN s.currency <> p.currency
                THEN 'store ' || p.store_id || ' takes ' || s.currency || ' (mappings/stores.csv)' END
       ), '') AS currency_conflict
FROM canonical.payments AS p
LEFT JOIN batch_currencies AS b ON b.business_date = p.business_date AND b.batch_id = p.batch_id
LEFT JOIN store_currencies AS s ON s.store_id = p.store_id
WHERE p.business_date BETWEEN $first AND $last AND p.is_financial;

CREATE OR REPLACE TEMP TABLE recon_reference_candidates AS
SELECT t.*, p.transaction_id, p.amount AS transaction_amount, p.currency AS transaction_currency,
       p.currency_conflict,
       row_number() OVER (
           PARTITION BY t.tender_id
           ORDER BY (p.currency = t.currency AND p.amount = t.amount + t.tip_amount) DESC,
                    p.local_time, p.transaction_id
       ) AS reference_rank
FROM recon_card_tenders AS t
JOIN recon_captured AS p ON p.reference = t.tender_id;

CREATE OR REPLACE TEMP TABLE recon_by_reference AS
SELECT * EXCLUDE (reference_rank) FROM recon_reference_candidates WHERE reference_rank = 1;

-- The same tender id on a second transaction: the surplus, with the transaction the tender took.
CREATE OR REPLACE TEMP TABLE recon_reference_surplus AS
SELECT s.transaction_id, s.tender_id, s.transaction_amount, s.transaction_currency,
       m.transaction_id AS taken_by, m.transaction_amount AS taken_amount
FROM recon_reference_candidates AS s
JOIN recon_by_reference AS m USING (tender_id)
WHERE s.reference_rank > 1;

CREATE OR REPLACE TEMP TABLE recon_by_gateway_id AS
SELECT t.*, p.transaction_id, p.amount AS transaction_amount, p.currency AS transaction_currency,
       p.currency_conflict
FROM (SELECT * FROM recon_card_tenders ANTI JOIN recon_by_reference USING (tender_id)) AS t
JOIN (
    SELECT * FROM recon_captured
    ANTI JOIN recon_by_reference USING (transaction_id)
    ANTI JOIN recon_reference_surplus USING (transaction_id)
) AS p ON p.transaction_id = t.gateway_transaction_id
QUALIFY row_number() OVER (PARTITION BY p.transaction_id ORDER BY t.tender_id) = 1;

-- A second transaction carrying the reference of one a tender took by its gateway id (the same
-- capture arriving twice under two ids): surplus, kept out of the later passes like the
-- reference surplus, and named with the transaction the tender took.
-- Read from the few transactions taken by gateway id outwards: left to itself the planner joins
-- every captured transaction to every other of the same reference first (a hash table of all
-- the day's references, 0.15 s of CPU on the 1M day), then to the taken ones.
CREATE OR REPLACE TEMP TABLE recon_gateway_id_surplus AS
WITH taken AS MATERIALIZED (
    SELECT g.tender_id, g.transaction_id, g.transaction_amount, g.transaction_currency, c.reference
    FROM recon_by_gateway_id AS g
    JOIN recon_captured AS c ON c.transaction_id = g.transaction_id
    WHERE c.reference IS NOT NULL AND c.reference <> ''
)
SELECT p.transaction_id, g.tender_id, g.transaction_id AS taken_by,
       g.transaction_amount AS taken_amount, g.transaction_currency
FROM taken AS g
JOIN recon_captured AS p ON p.reference = g.reference AND p.transaction_id <> g.transaction_id
ANTI JOIN recon_by_reference AS r ON r.transaction_id = p.transaction_id
ANTI JOIN recon_by_gateway_id AS mine ON mine.transaction_id = p.transaction_id
WHERE p.reference IS NOT NULL AND p.reference <> ''
QUALIFY row_number() OVER (PARTITION BY p.transaction_id ORDER BY g.transaction_id) = 1;

-- The order key is (dataAreaId, SalesOrderNumber), so a transaction pays at most one order.
-- A payment link's transaction may carry a reference of its own: its order is then the one GP
-- named in the status_url notification (link_data.reference, raw.payment_notifications).
CREATE OR REPLACE TEMP TABLE recon_sales_order_payments AS
SELECT p.*, o.SalesOrderNumber AS sales_order_number,
       o.InvoiceCustomerAccountNumber AS customer_account, o.OrderTotalAmount AS order_total
FROM recon_captured AS p
LEFT JOIN (SELECT transaction_id, any_value(order_reference) AS order_reference
           FROM raw.payment_notifications WHERE order_reference IS NOT NULL GROUP BY ALL) AS n
  USING (transaction_id)
JOIN raw.d365_sales_orders AS o
  ON o.SalesOrderNumber = coalesce(n.order_reference, p.reference) AND lower(o.dataAreaId) = p.legal_entity
 AND upper(o.CurrencyCode) = p.currency
ANTI JOIN recon_by_reference USING (transaction_id)
ANTI JOIN recon_reference_surplus USING (transaction_id)
ANTI JOIN recon_by_gateway_id USING (transaction_id)
ANTI JOIN recon_gateway_id_surplus USING (transaction_id);

CREATE OR REPLACE TEMP TABLE recon_by_store_amount_time AS
WITH tenders_left AS (
    SELECT * FROM recon_card_tenders
    ANTI JOIN recon_by_reference USING (tender_id)
    ANTI JOIN recon_by_gateway_id USING (tender_id)
),
captured_left AS (
    SELECT * FROM recon_captured
    ANTI JOIN recon_by_reference USING (transaction_id)
    ANTI JOIN recon_reference_surplus USING (transaction_id)
    ANTI JOIN recon_by_gateway_id USING (transaction_id)
    ANTI JOIN recon_gateway_id_surplus USING (transaction_id)
    ANTI JOIN recon_sales_order_payments USING (transaction_id)
),
candidates AS (
    SELECT
        t.*, p.transaction_id, p.amount AS transaction_amount, p.currency_conflict,
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
WITH compared AS (
    SELECT business_date, store_id, transaction_currency AS currency,
           CASE WHEN transaction_amount = amount + tip_amount THEN 'matched' ELSE 'amount_difference' END AS status,
           'reference' AS matched_by, ticket_id, tender_id, transaction_id, amount, tip_amount,
           transaction_amount, transaction_amount - (amount + tip_amount) AS amount_difference,
           CASE WHEN transaction_amount <> amount + tip_amount
                THEN 'captured ' || transaction_amount || ' but the tender is ' || amount || ' + tip ' || tip_amount END
               AS reason,
           nullif(concat_ws('; ',
               CASE WHEN transaction_currency <> currency
                    THEN 'its tender ' || tender_id || ' is ' || (amount + tip_amount) || ' ' || currency END,
               currency_conflict), '') AS currency_conflict
    FROM recon_by_reference
    UNION ALL
    SELECT business_date, store_id, transaction_currency,
           CASE WHEN transaction_amount = amount + tip_amount THEN 'matched' ELSE 'amount_difference' END,
           'gateway_transaction_id', ticket_id, tender_id, transaction_id, amount, tip_amount,
           transaction_amount, transaction_amount - (amount + tip_amount),
           CASE WHEN transaction_amount <> amount + tip_amount
                THEN 'captured ' || transaction_amount || ' but the tender is ' || amount || ' + tip ' || tip_amount END,
           nullif(concat_ws('; ',
               CASE WHEN transaction_currency <> currency
                    THEN 'its tender ' || tender_id || ' is ' || (amount + tip_amount) || ' ' || currency END,
               currency_conflict), '')
    FROM recon_by_gateway_id
    UNION ALL
    SELECT business_date, store_id, currency, 'matched', 'store_amount_time', ticket_id, tender_id,
           transaction_id, amount, tip_amount, transaction_amount, 0,
           'no transaction carries the tender id as reference; matched on store, amount and time',
           currency_conflict
    FROM recon_by_store_amount_time
    UNION ALL
    SELECT business_date, store_id, currency, 'sales_order_payment', 'sales_order', NULL, NULL,
           transaction_id, NULL, NULL, amount, NULL,
           'pays D365 sales order ' || sales_order_number || ' of customer ' || coalesce(customer_account, '(none)')
           || ' (order total ' || order_total || ' ' || currency || '); no POS ticket behind it',
           currency_conflict
    FROM recon_sales_order_payments
    UNION ALL
    SELECT t.business_date, t.store_id, t.currency, 'tender_without_gateway_transaction', NULL,
           t.ticket_id, t.tender_id, NULL, t.amount, t.tip_amount, NULL, NULL,
           'no captured gateway transaction has reference ' || t.tender_id
           || CASE WHEN coalesce(t.gateway_transaction_id, '') <> ''
                   THEN ' (the tender names ' || t.gateway_transaction_id || ')' ELSE '' END
           || ', nor one of ' || t.store_id || ' for ' || (t.amount + t.tip_amount) || ' ' || t.currency
           || ' within 10 minutes',
           NULL
    FROM recon_card_tenders AS t
    ANTI JOIN recon_by_reference USING (tender_id)
    ANTI JOIN recon_by_gateway_id USING (tender_id)
    ANTI JOIN recon_by_store_amount_time USING (tender_id)
    UNION ALL
    SELECT p.business_date, p.store_id, p.currency, 'gateway_transaction_without_tender', NULL,
           NULL, NULL, p.transaction_id, NULL, NULL, p.amount, NULL,
           CASE WHEN s.taken_by IS NOT NULL
                THEN 'reference ' || s.tender_id || ' is a POS card tender already matched to '
                     || s.taken_by || ' (' || s.taken_amount || ' ' || s.transaction_currency || '); this second '
                     || 'transaction with the same reference is surplus (the same capture twice?)'
                WHEN gs.taken_by IS NOT NULL
                THEN 'reference ' || p.reference || ' is that of ' || gs.taken_by || ', which POS card tender '
                     || gs.tender_id || ' names and is already matched to ' || gs.taken_by || ' ('
                     || gs.taken_amount || ' ' || gs.transaction_currency || '); this second '
                     || 'transaction with the same reference is surplus (the same capture twice?)'
                WHEN p.reference LIKE 'SO-%'
                THEN 'reference ' || p.reference || ' looks like a D365 sales order, but '
                     || 'raw.d365_sales_orders holds no sales order ' || p.reference || ' of legal entity '
                     || coalesce(p.legal_entity, '?') || ' in ' || p.currency
                     || ' (D365 not pulled yet, or an unknown order number); '
                     || 'no POS card tender has id ' || p.reference || ', nor one of '
                     || coalesce(p.store_id, '?') || ' for ' || p.amount || ' ' || p.currency || ' within 10 minutes'
                ELSE 'no POS card tender has id ' || coalesce(p.reference, '(none)') || ', nor one of '
                     || coalesce(p.store_id, '?') || ' for ' || p.amount || ' ' || p.currency || ' within 10 minutes'
           END,
           p.currency_conflict
    FROM recon_captured AS p
    LEFT JOIN recon_reference_surplus AS s USING (transaction_id)
    LEFT JOIN recon_gateway_id_surplus AS gs USING (transaction_id)
    ANTI JOIN recon_by_reference USING (transaction_id)
    ANTI JOIN recon_by_gateway_id USING (transaction_id)
    ANTI JOIN recon_sales_order_payments USING (transaction_id)
    ANTI JOIN recon_by_store_amount_time USING (transaction_id)
)
SELECT business_date, store_id, currency,
       CASE WHEN currency_conflict IS NOT NULL THEN 'currency_mismatch' ELSE status END,
       matched_by, ticket_id, tender_id, transaction_id, amount, tip_amount, transaction_amount,
       CASE WHEN currency_conflict IS NULL THEN amount_difference END,
       CASE WHEN currency_conflict IS NOT NULL
            THEN 'captured ' || transaction_amount || ' ' || currency || ', but ' || currency_conflict
                 || ': money is compared only within a currency, so it is not taken as ' || status
                 || coalesce(' (' || reason || ')', '')
            ELSE reason
       END
FROM compared;

DROP TABLE recon_card_tenders;
DROP TABLE recon_captured;
DROP TABLE recon_reference_candidates;
DROP TABLE recon_by_reference;
DROP TABLE recon_reference_surplus;
DROP TABLE recon_by_gateway_id;
DROP TABLE recon_sales_order_payments;
DROP TABLE recon_by_store_amount_time;
