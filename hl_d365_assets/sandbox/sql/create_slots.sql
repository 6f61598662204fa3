-- slots: one row per gateway transaction of each store on the day, in time order.
--
-- kind:  sale | split_first | split_second | void | refund | declined | preauth | preauth_reversed
-- mix:   how the slot's own ticket is paid (CARD, GIFT_CARD, STORE_CREDIT, SPLIT); NULL when the
--        slot closes no ticket of its own.
-- card_slot: the slot whose card pays (a refund goes back to its original sale's card).
-- Ticket numbers run per store in time order; a slot that closes no ticket (a decline, an auth,
-- the second card of a split) leaves a gap, as abandoned tickets do on a real register. A cash
-- ticket may close just before a slot and takes the number before it.
CREATE OR REPLACE TABLE slots AS
WITH drawn AS (
    SELECT
        s.store_idx,
        r.slot,
        base_kind(s.store_idx, r.slot) AS base_kind,
        r.slot % 2 = 1 AND draw(s.store_idx, r.slot, 'split', 10000) < 400 AS split_drawn,
        r.slot - 1 - draw(s.store_idx, r.slot, 'refund_of', 300) AS refund_of,
        draw(s.store_idx, r.slot, 'cash_ticket', 100) < 15 AS cash_ticket_before,
        trading_opens_ms() + r.slot * trading_span_ms() // getvariable('slots_per_store')
            + draw(s.store_idx, r.slot, 'time', slot_width_ms()) AS local_ms
    FROM stores AS s
    CROSS JOIN range(getvariable('slots_per_store')) AS r(slot)
),

-- Split pairs are (odd - 1, odd) where both slots drew a sale (second_card_of_split in macros).
timeline AS (
    SELECT
        *,
        split_drawn AND base_kind = 'sale' AND lag(base_kind) OVER store_slots = 'sale' AS second_of_split,
        lead(split_drawn) OVER store_slots AND base_kind = 'sale' AND lead(base_kind) OVER store_slots = 'sale'
            AS first_of_split,
        slot + 1 + sum(cash_ticket_before::INTEGER) OVER (store_slots ROWS UNBOUNDED PRECEDING) AS ticket_seq,
        lead(local_ms) OVER store_slots AS next_local_ms
    FROM drawn
    WINDOW store_slots AS (PARTITION BY store_idx ORDER BY slot)
),

resolved AS (
    SELECT
        *,
        CASE
            WHEN second_of_split THEN 'split_second'
            WHEN first_of_split THEN 'split_first'
            WHEN base_kind = 'refund' AND refundable(store_idx, refund_of) THEN 'refund'
            WHEN base_kind = 'refund' THEN 'sale'
            ELSE base_kind
        END AS candidate_kind
    FROM timeline
),

-- An original sale is refunded at most once: later refunds of it become plain sales.
repeated_refunds AS (
    SELECT store_idx, slot
    FROM resolved
    WHERE candidate_kind = 'refund'
    QUALIFY row_number() OVER (PARTITION BY store_idx, refund_of ORDER BY slot) > 1
),

kinds AS (
    SELECT
        r.*,
        CASE WHEN rr.slot IS NULL THEN r.candidate_kind ELSE 'sale' END AS kind
    FROM resolved AS r
    LEFT JOIN repeated_refunds AS rr USING (store_idx, slot)
)

SELECT
    store_idx,
    slot,
    kind,
    CASE
        WHEN kind = 'sale' THEN ticket_mix(store_idx, slot)
        WHEN kind = 'split_first' THEN 'SPLIT'
        WHEN kind IN ('void', 'refund') THEN 'CARD'
    END AS mix,
    CASE WHEN kind = 'refund' THEN refund_of END AS original_slot,
    CASE WHEN kind = 'refund' THEN refund_of ELSE slot END AS card_slot,
    local_ms,
    next_local_ms,
    ticket_seq,
    cash_ticket_before
FROM kinds;
