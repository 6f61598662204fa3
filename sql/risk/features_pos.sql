-- POS risk features (issue 18, docs/risk-features-pos-payroll.md): per ticket and per cashier
-- (store + the ticket's sales rep), over canonical.pos_* and the gateway transactions their card
-- tenders name. Params: $first, $last (days written), $window_start (first day of the trailing
-- history; history is read from $window_start .. $first - 1, never the day scored).
--
-- Heartland Retail tenders carry no card digits and a return does not name the ticket it
-- returns, so the card (token, else first6/last4) and the refunded sale come from the gateway:
-- canonical.pos_tenders.gateway_transaction_id -> canonical.payments, whose refund names its sale
-- in parent_transaction_id. A refund without it is matched by card: the latest earlier captured
-- sale on the same card at the store within the window. A return paid back in cash (no card)
-- is matched by items: a sale of each returned SKU at the store within the window.
--
-- ticket (entity_id <ticket_id>; a gateway refund with no POS ticket: entity_kind transaction,
-- entity_id its TRN):
--   void_still_captured      1 when a voided ticket's card payment is still captured at the gateway
--   refund_no_sale           1 when a refund matches no sale (neither its parent nor by card/items)
--   refund_to_sale_ratio     refunds of the sale so far (this one included) / the sale's amount
--   refund_other_card        1 when the refund goes to another card than the sale's
--   discount_share_to_policy the ticket's discount share of its list value / the store's policy
--                            (mappings/pos_discount_policy.csv); sale tickets with a discount only
-- cashier (entity_id <store>/cashier <cashier_id>):
--   voids_after_capture       voided card sales (the card captured, then the ticket voided) that day
--   voids_after_capture_excess those voids beyond what the store's other cashiers void for as many
--                             tickets: x - e - 3 sqrt(e), e = the others' voids x this cashier's
--                             tickets / the others' tickets (a Poisson bound, so it holds at any
--                             volume: a cashier is compared with their store's same day)
--   split_tickets_under_limit the most tickets on one card within the store's window minutes,
--                             each just under its ticket limit (mappings/pos_ticket_limits.csv)
--   discounts_above_policy    tickets with a discount share above the policy
--   refund_rate_to_own_history, void_rate_to_own_history, refund_rate_to_store_history:
--                             the day's share of refunds (voids) of the cashier's tickets over
--                             their own trailing share p, and over the store's (p smoothed: one
--                             event in 20 tickets added to the history), so a busy cashier is not
--                             flagged for a count alone. The day's share is shrunk towards p by
--                             20 tickets at p, (x + 20 p) / (n + 20): one refund in the two
--                             tickets of a cashier who just clocked in is one refund, not 50 %
--                             of their tickets (about 10 times a 0.5 % store share, not 100).
--                             Their record ids are the day's refund (void) tickets and their
--                             card transactions: what made the cashier unusual.
-- No-sale drawer opens: Heartland Retail's tickets carry none (no such record is pulled), so
-- there is no feature for them.

CREATE OR REPLACE TEMP TABLE risk_pos_tickets AS
SELECT
    s.business_date, s.ticket_id, s.store_id, s.legal_entity, s.cashier_id, s.ticket_type,
    s.ticket_status, s.is_financial, s.subtotal, s.discount_total, s.total, s.currency,
    s.local_closed_at
FROM canonical.pos_sales AS s
WHERE s.business_date BETWEEN $first AND $last;

-- Card tenders of the days scored with their gateway transaction (card, status, parent).
CREATE OR REPLACE TEMP TABLE risk_pos_card_tenders AS
SELECT
    t.business_date, t.ticket_id, t.store_id, t.gateway_transaction_id,
    p.transaction_type, p.gateway_status, p.is_financial AS captured, p.amount AS gateway_amount,
    p.parent_transaction_id, p.time_created, p.card_first6, p.card_last4,
    coalesce(p.payment_token, p.card_first6 || '**' || p.card_last4) AS card_key
FROM canonical.pos_tenders AS t
JOIN canonical.payments AS p ON p.transaction_id = t.gateway_transaction_id
WHERE t.business_date BETWEEN $first AND $last
  AND p.business_date BETWEEN $first - 1 AND $last + 1
  AND t.gateway_transaction_id IS NOT NULL;

-- Gateway transactions with an event in quarantine (a malformed line, a card number in free
-- text, a negative amount): the event was received, so the transaction exists, but canonical
-- lacks that state of it. Event ids are EVT_ (NTF_ for notifications) + the transaction id
-- without TRN_ + _ + its status (sql/raw/create_payment_transactions.sql). A refund of such a
-- sale is not a refund without a sale, and a voided ticket whose reversal sits there is not
-- "still captured": the accountant resolves the quarantine, the risk desk does not chase it.
CREATE OR REPLACE TEMP TABLE risk_pos_quarantined AS
SELECT DISTINCT 'TRN_' || regexp_extract(event_id, '^(EVT|NTF)_(.+)_[A-Z]+$', 2) AS transaction_id
FROM ops.quarantine
WHERE source = 'heartland' AND entity IN ('payment_transactions', 'payment_notifications')
  AND business_date BETWEEN $window_start AND $last + 1
  AND regexp_matches(event_id, '^(EVT|NTF)_(.+)_[A-Z]+$');

-- Every card refund of the days scored, with its POS ticket when one paid it out.
CREATE OR REPLACE TEMP TABLE risk_pos_refunds AS
SELECT
    r.business_date, r.transaction_id, coalesce(r.store_id, t.store_id) AS store_id,
    r.legal_entity, r.amount, r.time_created, r.parent_transaction_id, r.payment_token,
    r.card_first6, r.card_last4,
    coalesce(r.payment_token, r.card_first6 || '**' || r.card_last4) AS card_key,
    t.ticket_id, s.cashier_id
FROM canonical.payments AS r
LEFT JOIN risk_pos_card_tenders AS t ON t.gateway_transaction_id = r.transaction_id
LEFT JOIN risk_pos_tickets AS s ON s.business_date = t.business_date AND s.ticket_id = t.ticket_id
WHERE r.business_date BETWEEN $first AND $last
  AND r.transaction_type = 'REFUND' AND r.is_financial;

-- Captured sales of the window and the days scored that a refund may refund: its parent, or, for
-- a refund whose parent is not among them, a sale on its card (at its store: risk_pos_refund_matches).
-- Only those: a card's other sales are never matched, and at a million transactions a day the
-- window holds about 30 sales on each refund's card (900,000 rows where 31,000 parents are read).
-- The card test is split by token: a token (dictionary-compressed, few distinct) is compared as
-- it is, first6**last4 is built only for the sales without one, not for the window's 27 million.
CREATE OR REPLACE TEMP TABLE risk_pos_refundable_sales AS
WITH window_sales AS NOT MATERIALIZED (
    SELECT p.transaction_id, p.store_id, p.amount, p.time_created, p.payment_token, p.card_first6, p.card_last4
    FROM canonical.payments AS p
    WHERE p.business_date BETWEEN $window_start AND $last
      AND p.transaction_type = 'SALE' AND p.is_financial
),
parents AS (
    SELECT *
    FROM window_sales
    WHERE transaction_id IN (
        SELECT parent_transaction_id FROM risk_pos_refunds WHERE parent_transaction_id <> transaction_id
    )
),
unmatched_cards AS (
    SELECT DISTINCT r.card_key
    FROM risk_pos_refunds AS r
    WHERE r.card_key IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM parents AS s
          WHERE s.transaction_id = r.parent_transaction_id AND r.parent_transaction_id <> r.transaction_id
      )
),
card_sales AS (
    SELECT * FROM window_sales WHERE payment_token IN (SELECT card_key FROM unmatched_cards)
    UNION ALL
    SELECT *
    FROM window_sales
    WHERE payment_token IS NULL AND card_first6 || '**' || card_last4 IN (SELECT card_key FROM unmatched_cards)
)
SELECT *, coalesce(payment_token, card_first6 || '**' || card_last4) AS card_key
FROM (SELECT * FROM parents UNION SELECT * FROM card_sales);

-- Refunds of those sales in the window and the days scored, to add up what each sale gave back.
CREATE OR REPLACE TEMP TABLE risk_pos_sale_refunds AS
SELECT p.transaction_id, p.parent_transaction_id, p.amount, p.time_created
FROM canonical.payments AS p
WHERE p.business_date BETWEEN $window_start AND $last
  AND p.transaction_type = 'REFUND' AND p.is_financial
  AND p.parent_transaction_id IN (SELECT transaction_id FROM risk_pos_refundable_sales);

CREATE OR REPLACE TEMP TABLE risk_pos_refund_matches AS
WITH by_parent AS (
    SELECT r.transaction_id, s.transaction_id AS sale_id, 'parent' AS matched_by
    FROM risk_pos_refunds AS r
    JOIN risk_pos_refundable_sales AS s ON s.transaction_id = r.parent_transaction_id
    WHERE r.parent_transaction_id <> r.transaction_id
),

by_card AS (
    SELECT r.transaction_id, arg_max(s.transaction_id, s.time_created) AS sale_id, 'card' AS matched_by
    FROM risk_pos_refunds AS r
    JOIN risk_pos_refundable_sales AS s
        ON s.card_key = r.card_key AND s.store_id = r.store_id AND s.time_created < r.time_created
    WHERE r.transaction_id NOT IN (SELECT transaction_id FROM by_parent)
    GROUP BY r.transaction_id
),

matched AS (
    SELECT * FROM by_parent
    UNION ALL
    SELECT * FROM by_card
),

-- What the sale has given back up to and including each refund of it.
refunded_so_far AS (
    SELECT
        m.transaction_id,
        -sum(o.amount) AS refunded
    FROM matched AS m
    JOIN risk_pos_refunds AS r USING (transaction_id)
    JOIN (
        SELECT transaction_id, parent_transaction_id, amount, time_created FROM risk_pos_sale_refunds
        UNION
        SELECT r2.transaction_id, m2.sale_id, r2.amount, r2.time_created
        FROM risk_pos_refunds AS r2 JOIN matched AS m2 USING (transaction_id)
    ) AS o ON o.parent_transaction_id = m.sale_id AND o.time_created <= r.time_created
    GROUP BY m.transaction_id
)

SELECT
    r.*,
    m.sale_id,
    m.matched_by,
    s.amount AS sale_amount,
    s.card_first6 AS sale_first6,
    s.card_last4 AS sale_last4,
    coalesce(f.refunded, -r.amount) AS refunded,
    q.transaction_id IS NOT NULL AS parent_quarantined,
    CASE
        WHEN s.payment_token IS NOT NULL AND r.payment_token IS NOT NULL
            THEN s.payment_token <> r.payment_token
        ELSE s.card_first6 || s.card_last4 <> r.card_first6 || r.card_last4
    END AS other_card
FROM risk_pos_refunds AS r
LEFT JOIN matched AS m USING (transaction_id)
LEFT JOIN risk_pos_refundable_sales AS s ON s.transaction_id = m.sale_id
LEFT JOIN refunded_so_far AS f USING (transaction_id)
LEFT JOIN risk_pos_quarantined AS q ON q.transaction_id = r.parent_transaction_id AND r.parent_transaction_id <> r.transaction_id;

-- Returns paid back without a card (cash, store credit): matched by items, a sale of every
-- returned SKU at the store within the window.
CREATE OR REPLACE TEMP TABLE risk_pos_cash_returns AS
WITH returns AS (
    SELECT t.*
    FROM risk_pos_tickets AS t
    WHERE t.ticket_type = 'RETURN' AND t.is_financial
      AND t.ticket_id NOT IN (SELECT ticket_id FROM risk_pos_card_tenders)
),

returned_skus AS (
    SELECT DISTINCT l.business_date, l.ticket_id, l.store_id, l.sku
    FROM canonical.pos_sale_lines AS l
    JOIN returns AS r USING (business_date, ticket_id)
    WHERE l.sku IS NOT NULL
),

sold_skus AS (
    SELECT DISTINCT l.store_id, l.sku
    FROM canonical.pos_sale_lines AS l
    WHERE l.business_date BETWEEN $window_start AND $last
      AND l.ticket_type = 'SALE' AND l.is_financial
      AND l.sku IN (SELECT sku FROM returned_skus)
)

SELECT
    r.business_date, r.ticket_id, r.store_id, r.legal_entity, r.cashier_id, r.total,
    count(rs.sku) FILTER (WHERE ss.sku IS NULL) AS unsold_skus,
    count(rs.sku) AS skus
FROM returns AS r
LEFT JOIN returned_skus AS rs USING (business_date, ticket_id)
LEFT JOIN sold_skus AS ss ON ss.store_id = rs.store_id AND ss.sku = rs.sku
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE risk_pos_voids AS
SELECT
    t.business_date, t.ticket_id, t.store_id, t.legal_entity, t.cashier_id, t.total,
    bool_or(c.captured AND c.transaction_type = 'SALE' AND q.transaction_id IS NULL) AS still_captured,
    bool_or(q.transaction_id IS NOT NULL) AS state_quarantined,
    bool_or(c.transaction_type = 'SALE' AND c.gateway_status <> 'DECLINED') AS card_captured,
    list(c.gateway_transaction_id ORDER BY c.gateway_transaction_id) AS transactions,
    string_agg(c.gateway_transaction_id || ' ' || c.gateway_status, ', ' ORDER BY c.gateway_transaction_id)
        AS statuses
FROM risk_pos_tickets AS t
JOIN risk_pos_card_tenders AS c USING (business_date, ticket_id)
LEFT JOIN risk_pos_quarantined AS q ON q.transaction_id = c.gateway_transaction_id
WHERE t.ticket_status = 'voided'
GROUP BY ALL;

-- The policy rows that apply: the store's own, else '*', the newest valid_from on the day.
CREATE OR REPLACE TEMP TABLE risk_pos_policies AS
WITH days_stores AS (
    SELECT DISTINCT business_date, store_id FROM risk_pos_tickets
)

SELECT
    d.business_date, d.store_id,
    (SELECT max_discount_share FROM ref.pos_discount_policy AS p
     WHERE p.store_id IN (d.store_id, '*') AND p.valid_from <= d.business_date
     ORDER BY p.store_id = '*', p.valid_from DESC LIMIT 1) AS max_discount_share,
    l.ticket_limit, l.just_under_share, l.window_minutes
FROM days_stores AS d
LEFT JOIN LATERAL (
    SELECT ticket_limit, just_under_share, window_minutes FROM ref.pos_ticket_limits AS x
    WHERE x.store_id IN (d.store_id, '*') AND x.valid_from <= d.business_date
    ORDER BY x.store_id = '*', x.valid_from DESC LIMIT 1
) AS l ON true;

CREATE OR REPLACE TEMP TABLE risk_pos_discounts AS
SELECT
    t.business_date, t.ticket_id, t.store_id, t.legal_entity, t.cashier_id, t.subtotal,
    t.discount_total, p.max_discount_share,
    CAST(t.discount_total AS DOUBLE) / CAST(t.subtotal AS DOUBLE) / CAST(p.max_discount_share AS DOUBLE)
        AS share_to_policy
FROM risk_pos_tickets AS t
JOIN risk_pos_policies AS p USING (business_date, store_id)
WHERE t.ticket_type = 'SALE' AND t.is_financial AND t.discount_total > 0 AND t.subtotal > 0
  AND p.max_discount_share > 0;

-- Sale tickets just under the store's limit, paid by card, with the others on the same card by
-- the same cashier within the window minutes (itself included).
CREATE OR REPLACE TEMP TABLE risk_pos_splits AS
WITH just_under AS (
    SELECT t.business_date, t.ticket_id, t.store_id, t.legal_entity, t.cashier_id, t.total,
           t.local_closed_at, c.card_key, c.gateway_transaction_id, p.ticket_limit, p.window_minutes
    FROM risk_pos_tickets AS t
    JOIN risk_pos_policies AS p USING (business_date, store_id)
    JOIN risk_pos_card_tenders AS c USING (business_date, ticket_id)
    WHERE t.ticket_type = 'SALE' AND t.is_financial AND c.transaction_type = 'SALE'
      AND t.total < p.ticket_limit AND t.total >= p.ticket_limit * (1 - p.just_under_share)
      AND c.card_key IS NOT NULL AND t.cashier_id IS NOT NULL
)

SELECT
    a.business_date, a.store_id, a.legal_entity, a.cashier_id, a.ticket_id, a.card_key,
    a.ticket_limit,
    count(DISTINCT b.ticket_id) AS tickets,
    list(DISTINCT b.ticket_id) AS ticket_ids,
    list(DISTINCT b.gateway_transaction_id) AS transactions,
    string_agg(DISTINCT CAST(b.total AS VARCHAR), ', ') AS totals,
    min(b.local_closed_at) AS first_closed,
    max(b.local_closed_at) AS last_closed
FROM just_under AS a
JOIN just_under AS b
    ON b.business_date = a.business_date AND b.store_id = a.store_id
    AND b.cashier_id = a.cashier_id AND b.card_key = a.card_key
    AND abs(epoch(b.local_closed_at) - epoch(a.local_closed_at)) <= 60 * a.window_minutes
GROUP BY ALL;

-- The cashiers' and stores' trailing shares of refunds and voids (history only).
CREATE OR REPLACE TEMP TABLE risk_pos_cashier_history AS
SELECT
    store_id, cashier_id,
    count(*) AS tickets,
    count(*) FILTER (WHERE ticket_type = 'RETURN' AND is_financial) AS refunds,
    count(*) FILTER (WHERE ticket_status = 'voided') AS voids
FROM canonical.pos_sales
WHERE business_date BETWEEN $window_start AND $first - 1 AND cashier_id IS NOT NULL
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE risk_pos_cashier_days AS
WITH event_tickets AS (
    SELECT business_date, ticket_id, store_id, cashier_id,
           ticket_type = 'RETURN' AND is_financial AS is_refund,
           ticket_status = 'voided' AS is_void
    FROM risk_pos_tickets
    WHERE cashier_id IS NOT NULL
      AND ((ticket_type = 'RETURN' AND is_financial) OR ticket_status = 'voided')
),

ticket_transactions AS (
    SELECT c.business_date, c.ticket_id,
           list('transaction:' || c.gateway_transaction_id ORDER BY c.gateway_transaction_id) AS transaction_records
    FROM risk_pos_card_tenders AS c
    SEMI JOIN event_tickets AS e USING (business_date, ticket_id)
    GROUP BY ALL
),

event_records AS (
    SELECT
        t.business_date, t.store_id, t.cashier_id,
        flatten(list(list_prepend('ticket:' || t.ticket_id, coalesce(x.transaction_records, [])) ORDER BY t.ticket_id)
            FILTER (WHERE t.is_refund)) AS refund_records,
        flatten(list(list_prepend('ticket:' || t.ticket_id, coalesce(x.transaction_records, [])) ORDER BY t.ticket_id)
            FILTER (WHERE t.is_void)) AS voided_records
    FROM event_tickets AS t
    LEFT JOIN ticket_transactions AS x USING (business_date, ticket_id)
    GROUP BY ALL
),

days AS (
    SELECT
        business_date, store_id, cashier_id, any_value(legal_entity) AS legal_entity,
        count(*) AS tickets,
        count(*) FILTER (WHERE ticket_type = 'RETURN' AND is_financial) AS refunds,
        count(*) FILTER (WHERE ticket_status = 'voided') AS voids
    FROM risk_pos_tickets
    WHERE cashier_id IS NOT NULL
    GROUP BY ALL
),

card_voids AS (
    SELECT business_date, store_id, cashier_id, count(*) AS card_voids,
           string_agg(ticket_id, ', ' ORDER BY ticket_id) AS void_tickets,
           flatten(list(list_prepend('ticket:' || ticket_id, list_transform(transactions, lambda x: 'transaction:' || x))))
               AS void_records
    FROM risk_pos_voids
    WHERE card_captured AND cashier_id IS NOT NULL
    GROUP BY ALL
),

with_voids AS (
    SELECT d.*, coalesce(v.card_voids, 0) AS card_voids, v.void_tickets, v.void_records
    FROM days AS d
    LEFT JOIN card_voids AS v USING (business_date, store_id, cashier_id)
),

-- What the store's other cashiers voided for as many tickets as this one rang up.
expected_voids AS (
    SELECT
        *,
        (sum(card_voids) OVER store_day - card_voids) * tickets
            / greatest(sum(tickets) OVER store_day - tickets, 1) AS expected_card_voids,
        sum(card_voids) OVER store_day - card_voids AS others_card_voids,
        sum(tickets) OVER store_day - tickets AS others_tickets
    FROM with_voids
    WINDOW store_day AS (PARTITION BY business_date, store_id)
),

stores AS (
    SELECT store_id, sum(tickets) AS tickets, sum(refunds) AS refunds
    FROM risk_pos_cashier_history
    GROUP BY store_id
),

shares AS (
    SELECT
        d.*,
        coalesce(h.tickets, 0) AS history_tickets,
        (coalesce(h.refunds, 0) + 1) / (coalesce(h.tickets, 0) + 20) AS own_refund_share,
        (coalesce(h.voids, 0) + 1) / (coalesce(h.tickets, 0) + 20) AS own_void_share,
        (coalesce(s.refunds, 0) + 1) / (coalesce(s.tickets, 0) + 20) AS store_refund_share
    FROM expected_voids AS d
    LEFT JOIN risk_pos_cashier_history AS h USING (store_id, cashier_id)
    LEFT JOIN stores AS s USING (store_id)
)

SELECT
    d.* EXCLUDE (own_refund_share, own_void_share, store_refund_share),
    d.card_voids - d.expected_card_voids - 3 * sqrt(d.expected_card_voids) AS card_voids_excess,
    (d.refunds + 20 * d.own_refund_share) / (d.tickets + 20) / d.own_refund_share AS refund_rate_to_own,
    (d.voids + 20 * d.own_void_share) / (d.tickets + 20) / d.own_void_share AS void_rate_to_own,
    (d.refunds + 20 * d.store_refund_share) / (d.tickets + 20) / d.store_refund_share AS refund_rate_to_store,
    coalesce(e.refund_records, []) AS refund_records,
    coalesce(e.voided_records, []) AS voided_records
FROM shares AS d
LEFT JOIN event_records AS e USING (business_date, store_id, cashier_id);

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity,
                           feature, value, evidence, record_ids)
WITH refund_entities AS (
    SELECT
        m.*,
        CASE WHEN m.ticket_id IS NULL THEN 'transaction' ELSE 'ticket' END AS entity_kind,
        coalesce(m.ticket_id, m.transaction_id) AS entity_id,
        list_filter(['ticket:' || m.ticket_id, 'transaction:' || m.transaction_id], lambda x: x IS NOT NULL)
            AS record_ids,
        'refund ' || m.transaction_id || ' of ' || CAST(-m.amount AS VARCHAR)
            || coalesce(' on ticket ' || m.ticket_id, '')
            || coalesce(' by cashier ' || m.cashier_id, '') || ' at ' || coalesce(m.store_id, '?') AS said
    FROM risk_pos_refund_matches AS m
),

cashier_counts AS (
    SELECT
        d.business_date, d.store_id, d.legal_entity, d.cashier_id,
        d.card_voids, d.card_voids_excess, d.expected_card_voids, d.others_card_voids,
        d.others_tickets, d.tickets, d.void_tickets, d.void_records,
        coalesce(sp.split_tickets, 0) AS split_tickets,
        sp.split_said, sp.split_records,
        coalesce(dc.above, 0) AS discounts_above,
        dc.discount_records
    FROM risk_pos_cashier_days AS d
    LEFT JOIN (
        SELECT business_date, store_id, cashier_id,
               arg_max(tickets, tickets) AS split_tickets,
               arg_max(tickets || ' tickets on one card (' || totals || ') between '
                   || strftime(first_closed, '%H:%M') || ' and ' || strftime(last_closed, '%H:%M')
                   || ', each under the ' || CAST(ticket_limit AS VARCHAR) || ' limit', tickets) AS split_said,
               arg_max(list_concat(list_transform(ticket_ids, lambda x: 'ticket:' || x),
                                   list_transform(transactions, lambda x: 'transaction:' || x)), tickets) AS split_records
        FROM risk_pos_splits GROUP BY ALL
    ) AS sp USING (business_date, store_id, cashier_id)
    LEFT JOIN (
        SELECT business_date, store_id, cashier_id, count(*) AS above,
               list('ticket:' || ticket_id ORDER BY ticket_id) AS discount_records
        FROM risk_pos_discounts WHERE share_to_policy > 1 GROUP BY ALL
    ) AS dc USING (business_date, store_id, cashier_id)
)

SELECT business_date, 'pos', 'ticket', ticket_id, store_id, legal_entity, 'void_still_captured',
       CASE WHEN still_captured THEN 1 ELSE 0 END,
       'ticket ' || ticket_id || ' of ' || CAST(total AS VARCHAR) || ' voided by cashier '
           || coalesce(cashier_id, '?') || ' at ' || store_id || '; gateway: ' || statuses
           || CASE WHEN state_quarantined THEN ' (a later event of it is in quarantine: its state is not known)' ELSE '' END,
       list_prepend('ticket:' || ticket_id, list_transform(transactions, lambda x: 'transaction:' || x))
FROM risk_pos_voids
UNION ALL
SELECT business_date, 'pos', entity_kind, entity_id, store_id, legal_entity, 'refund_no_sale',
       CASE WHEN sale_id IS NULL AND NOT parent_quarantined THEN 1 ELSE 0 END,
       said || CASE
           WHEN sale_id IS NULL AND parent_quarantined
               THEN ': refunds sale ' || parent_transaction_id || ', whose event is in quarantine'
           WHEN sale_id IS NULL THEN ': no sale it refunds (no parent sale, no earlier sale on its card at the store since '
               || CAST($window_start AS VARCHAR) || ')'
           ELSE ': refunds sale ' || sale_id || ' (matched by ' || matched_by || ')' END,
       record_ids
FROM refund_entities
UNION ALL
SELECT business_date, 'pos', entity_kind, entity_id, store_id, legal_entity, 'refund_to_sale_ratio',
       CAST(refunded AS DOUBLE) / CAST(sale_amount AS DOUBLE),
       said || ': ' || CAST(refunded AS VARCHAR) || ' refunded so far of sale ' || sale_id || ' of '
           || CAST(sale_amount AS VARCHAR),
       record_ids
FROM refund_entities
WHERE sale_id IS NOT NULL AND sale_amount > 0
UNION ALL
SELECT business_date, 'pos', entity_kind, entity_id, store_id, legal_entity, 'refund_other_card',
       CASE WHEN other_card THEN 1 ELSE 0 END,
       said || ' to card ' || coalesce(card_first6, '??????') || '**' || coalesce(card_last4, '????')
           || '; sale ' || sale_id || ' was paid by ' || coalesce(sale_first6, '??????') || '**'
           || coalesce(sale_last4, '????') || CASE WHEN other_card THEN ' (another card)' ELSE ' (same card)' END,
       record_ids
FROM refund_entities
WHERE sale_id IS NOT NULL AND other_card IS NOT NULL
UNION ALL
SELECT business_date, 'pos', 'ticket', ticket_id, store_id, legal_entity, 'refund_no_sale',
       CASE WHEN unsold_skus > 0 OR skus = 0 THEN 1 ELSE 0 END,
       'return ticket ' || ticket_id || ' of ' || CAST(-total AS VARCHAR) || ' by cashier '
           || coalesce(cashier_id, '?') || ' at ' || store_id || ' paid back without a card: '
           || unsold_skus || ' of ' || skus || ' returned item(s) not sold at the store since '
           || CAST($window_start AS VARCHAR),
       ['ticket:' || ticket_id]
FROM risk_pos_cash_returns
UNION ALL
SELECT business_date, 'pos', 'ticket', ticket_id, store_id, legal_entity, 'discount_share_to_policy',
       share_to_policy,
       'ticket ' || ticket_id || ' by cashier ' || coalesce(cashier_id, '?') || ' at ' || store_id
           || ': discount ' || CAST(discount_total AS VARCHAR) || ' on ' || CAST(subtotal AS VARCHAR)
           || ' list (policy at most ' || CAST(max_discount_share AS VARCHAR) || ' of it)',
       ['ticket:' || ticket_id]
FROM risk_pos_discounts
UNION ALL
SELECT business_date, 'pos', 'cashier', store_id || '/cashier ' || cashier_id, store_id, legal_entity,
       'voids_after_capture', card_voids,
       'cashier ' || cashier_id || ' at ' || store_id || ' voided ' || card_voids
           || ' card sale(s) after capture' || coalesce(': ' || void_tickets, ''),
       coalesce(void_records, [])
FROM cashier_counts
UNION ALL
SELECT business_date, 'pos', 'cashier', store_id || '/cashier ' || cashier_id, store_id, legal_entity,
       'voids_after_capture_excess', card_voids_excess,
       'cashier ' || cashier_id || ' at ' || store_id || ' voided ' || card_voids
           || ' card sale(s) after capture in ' || tickets || ' ticket(s)' || coalesce(' (' || void_tickets || ')', '')
           || '; the store''s other cashiers voided ' || others_card_voids || ' in ' || others_tickets
           || ' ticket(s), about ' || CAST(round(expected_card_voids, 2) AS VARCHAR) || ' for as many tickets',
       coalesce(void_records, [])
FROM cashier_counts
UNION ALL
SELECT business_date, 'pos', 'cashier', store_id || '/cashier ' || cashier_id, store_id, legal_entity,
       'split_tickets_under_limit', split_tickets,
       'cashier ' || cashier_id || ' at ' || store_id || ': ' || coalesce(split_said, 'no tickets on one card just under the limit'),
       coalesce(split_records, [])
FROM cashier_counts
UNION ALL
SELECT business_date, 'pos', 'cashier', store_id || '/cashier ' || cashier_id, store_id, legal_entity,
       'discounts_above_policy', discounts_above,
       'cashier ' || cashier_id || ' at ' || store_id || ': ' || discounts_above || ' ticket(s) discounted above policy',
       coalesce(discount_records, [])
FROM cashier_counts
UNION ALL
SELECT business_date, 'pos', 'cashier', store_id || '/cashier ' || cashier_id, store_id, legal_entity,
       feature, value,
       'cashier ' || cashier_id || ' at ' || store_id || ': ' || said,
       records
FROM (
    SELECT *, 'refund_rate_to_own_history' AS feature, refund_rate_to_own AS value,
           refunds || ' refund(s) in ' || tickets || ' ticket(s) against ' || history_tickets
               || ' ticket(s) of own history' AS said,
           refund_records AS records
    FROM risk_pos_cashier_days
    UNION ALL
    SELECT *, 'void_rate_to_own_history', void_rate_to_own,
           voids || ' void(s) in ' || tickets || ' ticket(s) against ' || history_tickets
               || ' ticket(s) of own history',
           voided_records
    FROM risk_pos_cashier_days
    UNION ALL
    SELECT *, 'refund_rate_to_store_history', refund_rate_to_store,
           refunds || ' refund(s) in ' || tickets || ' ticket(s) against the store''s trailing share',
           refund_records
    FROM risk_pos_cashier_days
);

DROP TABLE risk_pos_quarantined;
DROP TABLE risk_pos_tickets;
DROP TABLE risk_pos_card_tenders;
DROP TABLE risk_pos_refunds;
DROP TABLE risk_pos_refundable_sales;
DROP TABLE risk_pos_sale_refunds;
DROP TABLE risk_pos_refund_matches;
DROP TABLE risk_pos_cash_returns;
DROP TABLE risk_pos_voids;
DROP TABLE risk_pos_policies;
DROP TABLE risk_pos_discounts;
DROP TABLE risk_pos_splits;
DROP TABLE risk_pos_cashier_history;
DROP TABLE risk_pos_cashier_days;
