-- tickets: every POS ticket closed on the day, with integer money and up to two tenders.
--
-- Card sale tickets (plain, split over two cards, with a gift card or store credit first, or
-- voided later), RETURN tickets for refunds, and cash tickets (kind 'cash', ordinal 0: they close
-- just before the slot's own ticket). Tender columns t1_*/t2_* are flat so the few defects can be
-- applied with an UPDATE; a CARD tender is paid by the gateway transaction of slot t*_slot with
-- the card of slot t*_card_slot. Ids and texts are rendered by create_envelopes.sql.
CREATE OR REPLACE TABLE tickets AS
WITH originals AS (
    SELECT refund.store_idx, refund.slot, original.ticket_seq AS original_ticket_seq
    FROM slots AS refund
    JOIN slots AS original ON original.store_idx = refund.store_idx AND original.slot = refund.original_slot
    WHERE refund.kind = 'refund'
),

card_tickets AS (
    SELECT
        sl.store_idx,
        sl.slot,
        1 AS ordinal,
        sl.kind,
        sl.mix,
        sl.ticket_seq,
        o.original_ticket_seq,
        sl.card_slot,
        CASE
            WHEN sl.kind = 'refund' THEN return_lines(sl.store_idx, sl.original_slot, st.tax_code, st.tax_rate_ppm)
            ELSE basket_lines(sl.store_idx, sl.slot, 'card', st.tax_code, st.tax_rate_ppm)
        END AS lines,
        sl.local_ms - 30000 - draw(sl.store_idx, sl.slot, 'ticket_open', 300000) AS opened_local_ms,
        CASE WHEN sl.kind = 'split_first' THEN sl.next_local_ms ELSE sl.local_ms END
            + 2000 + draw(sl.store_idx, sl.slot, 'ticket_close', 20000) AS closed_local_ms,
        -- a voided ticket is uploaded once the void went through at the gateway
        CASE WHEN sl.kind = 'void' THEN void_local_ms(sl.store_idx, sl.slot, sl.local_ms) ELSE sl.local_ms END
            + 25000 + draw(sl.store_idx, sl.slot, 'ticket_upload', 60000) AS uploaded_local_ms
    FROM slots AS sl
    JOIN stores AS st USING (store_idx)
    LEFT JOIN originals AS o USING (store_idx, slot)
    WHERE sl.kind IN ('sale', 'split_first', 'void', 'refund')
),

cash_tickets AS (
    SELECT
        sl.store_idx,
        sl.slot,
        0 AS ordinal,
        'cash' AS kind,
        'CASH' AS mix,
        sl.ticket_seq - 1 AS ticket_seq,
        NULL AS original_ticket_seq,
        NULL AS card_slot,
        basket_lines(sl.store_idx, sl.slot, 'cash', st.tax_code, st.tax_rate_ppm) AS lines,
        sl.local_ms - 1 - draw(sl.store_idx, sl.slot, 'cash_close', slot_width_ms())
            - 20000 - draw(sl.store_idx, sl.slot, 'cash_open', 240000) AS opened_local_ms,
        greatest(trading_opens_ms(), sl.local_ms - 1 - draw(sl.store_idx, sl.slot, 'cash_close', slot_width_ms()))
            AS closed_local_ms,
        sl.local_ms + 20000 + draw(sl.store_idx, sl.slot, 'cash_upload', 60000) AS uploaded_local_ms
    FROM slots AS sl
    JOIN stores AS st USING (store_idx)
    WHERE sl.cash_ticket_before
),

totalled AS (
    SELECT
        *,
        list_sum(list_transform(lines, lambda l: l.quantity * l.unit_price))::BIGINT AS subtotal,
        list_sum(list_transform(lines, lambda l: l.discount_amount))::BIGINT AS discount_total,
        list_sum(list_transform(lines, lambda l: l.tax_amount))::BIGINT AS tax_total,
        list_sum(list_transform(lines, lambda l: l.line_total))::BIGINT AS total
    FROM (SELECT * FROM card_tickets UNION ALL SELECT * FROM cash_tickets)
),

tendered AS (
    SELECT
        *,
        -- a gift card or store credit pays part of the ticket, leaving at least 1.00 for the card
        mix IN ('GIFT_CARD', 'STORE_CREDIT') AND total >= 200 AS prepaid_first,
        CASE
            WHEN mix = 'SPLIT' THEN total * (30 + draw(store_idx, slot, 'split_share', 41)) // 100
            WHEN mix IN ('GIFT_CARD', 'STORE_CREDIT') AND total >= 200
                THEN least(total - 100, [500, 1000, 2500, 5000][1 + draw(store_idx, slot, 'prepaid', 4)])
            ELSE total
        END AS first_amount
    FROM totalled
)

SELECT
    store_idx,
    slot,
    ordinal,
    kind,
    mix,
    ticket_seq,
    original_ticket_seq,
    opened_local_ms,
    closed_local_ms,
    uploaded_local_ms,
    CASE draw(store_idx, 2 * slot + ordinal, 'note', 200)
        WHEN 0 THEN 'gift receipt printed'
        WHEN 1 THEN 'loyalty member'
        WHEN 2 THEN 'price match approved by manager'
        ELSE CASE WHEN kind = 'refund' THEN 'receipt presented' ELSE '' END
    END AS note,
    lines,
    subtotal,
    discount_total,
    tax_total,
    total,
    -- first tender
    CASE WHEN kind = 'cash' THEN 'CASH' WHEN prepaid_first THEN mix ELSE 'CARD' END AS t1_type,
    first_amount AS t1_amount,
    CASE WHEN kind IN ('sale', 'split_first') AND NOT prepaid_first THEN tip_on(store_idx, slot, first_amount) ELSE 0 END
        AS t1_tip,
    CASE WHEN kind <> 'cash' AND NOT prepaid_first THEN slot END AS t1_slot,
    CASE WHEN kind <> 'cash' AND NOT prepaid_first THEN card_slot END AS t1_card_slot,
    CASE
        WHEN prepaid_first AND mix = 'GIFT_CARD' THEN lpad(draw(store_idx, slot, 'gift_card', 10000)::VARCHAR, 4, '0')
        ELSE ''
    END AS t1_gift_card_last4,
    -- second tender: the other card of a split, or the card after a gift card / store credit
    CASE WHEN mix = 'SPLIT' OR prepaid_first THEN 'CARD' END AS t2_type,
    CASE WHEN mix = 'SPLIT' OR prepaid_first THEN total - first_amount END AS t2_amount,
    CASE
        WHEN mix = 'SPLIT' THEN tip_on(store_idx, slot + 1, total - first_amount)
        WHEN prepaid_first THEN tip_on(store_idx, slot, total - first_amount)
    END AS t2_tip,
    CASE WHEN mix = 'SPLIT' THEN slot + 1 WHEN prepaid_first THEN slot END AS t2_slot,
    CASE WHEN mix = 'SPLIT' THEN slot + 1 WHEN prepaid_first THEN card_slot END AS t2_card_slot,
    NULL::VARCHAR AS delivery_defect,
    -- set on tickets the risk patterns add (risk_patterns.py); NULL: drawn from the slot
    NULL::BIGINT AS t1_card_store_idx,
    NULL::BIGINT AS register,
    NULL::BIGINT AS cashier
FROM tendered;
