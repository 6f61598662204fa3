-- risk_slots: the gateway transactions the day's risk patterns add (risk_patterns.py), one row
-- each, made into slots, tickets and transaction events by inject_risk_slots.sql; risk_truth:
-- which record belongs to which pattern instance (select_risk_truth.sql renders the ids).
--
-- Injected slots are numbered from 2^40 (pattern p: 2^40 + p * 2^24 + n), clear of the store's
-- own slots, the order payments after them and the duplicate captures' copies (slot + 10^6), so
-- every id and draw of an injected record is a function of (seed, day, store, slot) as any other.
-- A pattern hits a store on a day when draw(store, -7, 'risk:<pattern>', 1000) < its rate per
-- 1,000 store-days (at most one instance per store, pattern and day).
CREATE OR REPLACE MACRO risk_slot(p_pattern_no, p_n) AS (1099511627776 + p_pattern_no * 16777216 + p_n)::BIGINT;
CREATE OR REPLACE MACRO risk_slot_base() AS 1099511627776::BIGINT;
CREATE OR REPLACE MACRO risk_instance(p_store, p_pattern, p_rate) AS
    draw(p_store, -7, 'risk:' || p_pattern, 1000) < p_rate;
CREATE OR REPLACE MACRO risk_draw(p_store, p_pattern, p_what, p_m) AS
    draw(p_store, -7, 'risk:' || p_pattern || ':' || p_what, p_m);
CREATE OR REPLACE MACRO risk_instance_id(p_pattern, p_store_id) AS
    p_pattern || '-' || p_store_id || '-' || getvariable('day_text');

-- basket: how the ticket's lines are made (inject_risk_slots.sql): 'own' (the slot's basket, as
-- a clean sale), 'return' (one unit of basket_slot's first line, as a clean return), 'doubled'
-- (basket_slot's whole basket, twice over), 'bulk' (four lines of 500-900 each), 'single' (one
-- line: line_sku x line_quantity). amount: the amount asked by a decline or authorisation.
CREATE OR REPLACE TABLE risk_slots (
    pattern VARCHAR,
    instance_id VARCHAR,
    store_idx INTEGER,
    slot BIGINT,
    kind VARCHAR,
    local_ms BIGINT,
    card_store_idx BIGINT,
    card_slot BIGINT,
    original_slot BIGINT,
    basket VARCHAR,
    basket_slot BIGINT,
    line_sku BIGINT,
    line_quantity BIGINT,
    amount BIGINT,
    tip_percent BIGINT,
    card_entry_mode VARCHAR,
    register BIGINT,
    cashier BIGINT
);

-- record_kind: transaction | ticket (the ticket of slot, ordinal 1) | batch (store's, brand)
CREATE OR REPLACE TABLE risk_truth (
    pattern VARCHAR,
    instance_id VARCHAR,
    record_kind VARCHAR,
    store_idx INTEGER,
    slot BIGINT,
    brand VARCHAR
);

-- Captured card-only sales of the day that no defect touches and no refund names, early
-- enough to be refunded before closing: what the refund patterns refund, in a seeded order.
CREATE OR REPLACE TABLE risk_refundable_sales AS
WITH touched AS (
    SELECT store_idx, slot FROM defects
    UNION
    SELECT store_idx, related_slot FROM defects WHERE related_slot IS NOT NULL
    UNION
    SELECT store_idx, original_slot FROM transaction_events WHERE kind = 'refund'
)

SELECT
    e.store_idx,
    e.slot,
    sl.local_ms,
    row_number() OVER (
        PARTITION BY e.store_idx ORDER BY draw(e.store_idx, e.slot, 'risk:refund_pick', 1000000), e.slot
    ) AS pick
FROM transaction_events AS e
JOIN slots AS sl USING (store_idx, slot)
JOIN tickets AS t ON t.store_idx = e.store_idx AND t.slot = e.slot AND t.ordinal = 1
ANTI JOIN touched AS d ON d.store_idx = e.store_idx AND d.slot = e.slot
WHERE e.event_no = 1 AND e.kind = 'sale' AND e.mix = 'CARD' AND e.final_status = 'CAPTURED'
    AND e.delivery_defect IS NULL AND e.currency IS NULL AND e.amount_sign = '' AND e.description = ''
    AND t.t1_type = 'CARD' AND t.t2_type IS NULL AND t.delivery_defect IS NULL
    AND sl.local_ms < 19 * 3600000;
