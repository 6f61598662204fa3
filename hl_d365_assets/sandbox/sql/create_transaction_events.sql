-- transaction_events: every GP-API transaction event of the day, one row per state.
--
-- A slot's first event carries the state the terminal saw (CAPTURED, DECLINED, PREAUTHORIZED);
-- voided sales and reversed authorisations get a second event (event_no 2) for the same id with
-- status REVERSED. The amount of a paid slot is its CARD tender plus tip; a decline or an
-- authorisation asks for its basket's total. `final_status` is the state the canonical layer
-- keeps; only finally CAPTURED transactions are settled. The reference is tender `tender_no` of
-- ticket `ticket_seq` (for declines and authorisations: the abandoned ticket of the slot).
CREATE OR REPLACE TABLE transaction_events AS
WITH card_tenders AS (
    SELECT store_idx, t1_slot AS slot, ticket_seq, 1 AS tender_no, t1_amount AS amount, t1_tip AS tip
    FROM tickets
    WHERE t1_type = 'CARD'
    UNION ALL
    SELECT store_idx, t2_slot, ticket_seq, 2, t2_amount, t2_tip
    FROM tickets
    WHERE t2_type = 'CARD'
),

attempts AS (
    SELECT
        sl.store_idx,
        sl.slot,
        sl.ticket_seq,
        1 AS tender_no,
        list_sum(list_transform(
            basket_lines(sl.store_idx, sl.slot, 'card', st.tax_code, st.tax_rate_ppm), lambda l: l.line_total
        ))::BIGINT AS amount,
        0::BIGINT AS tip
    FROM slots AS sl
    JOIN stores AS st USING (store_idx)
    WHERE sl.kind IN ('declined', 'preauth', 'preauth_reversed')
),

payments AS (
    SELECT
        sl.store_idx,
        sl.slot,
        sl.kind,
        sl.mix,
        sl.card_slot,
        sl.original_slot,
        card_brand_index(sl.store_idx, sl.card_slot) AS brand_index,
        p.ticket_seq,
        p.tender_no,
        p.amount + p.tip AS amount,
        p.tip AS gratuity,
        st.midnight_ms - st.offset_ms + sl.local_ms AS created_ms,
        st.midnight_ms - st.offset_ms + CASE sl.kind
            WHEN 'void' THEN void_local_ms(sl.store_idx, sl.slot, sl.local_ms)
            WHEN 'preauth_reversed' THEN reversal_local_ms(sl.store_idx, sl.slot, sl.local_ms)
        END AS reversed_ms
    FROM slots AS sl
    JOIN (SELECT * FROM card_tenders UNION ALL SELECT * FROM attempts) AS p USING (store_idx, slot)
    JOIN stores AS st USING (store_idx)
),

events AS (
    SELECT *, 1 AS event_no, created_ms AS updated_ms FROM payments
    UNION ALL
    SELECT *, 2 AS event_no, reversed_ms AS updated_ms FROM payments WHERE reversed_ms IS NOT NULL
)

SELECT
    store_idx,
    slot,
    event_no,
    kind,
    mix,
    card_slot,
    original_slot,
    brand_index,
    ticket_seq,
    tender_no,
    created_ms,
    updated_ms,
    updated_ms + 150 + draw(store_idx, 4 * slot + event_no, 'received', 2500) AS received_ms,
    amount,
    '' AS amount_sign,
    gratuity,
    '' AS description,
    CASE kind
        WHEN 'declined' THEN 'DECLINED'
        WHEN 'preauth' THEN 'PREAUTHORIZED'
        WHEN 'void' THEN 'REVERSED'
        WHEN 'preauth_reversed' THEN 'REVERSED'
        ELSE 'CAPTURED'
    END AS final_status,
    NULL::VARCHAR AS delivery_defect,
    -- set on order payments (create_order_payments.sql), which close no ticket
    NULL::VARCHAR AS sales_order_number,
    -- set by the currency_mismatch defect (apply_record_defects.sql); NULL: the store's currency
    NULL::VARCHAR AS currency,
    -- set by the risk patterns (risk_patterns.py): the store whose card_slot draws the card, and
    -- the entry mode; NULL: the slot's own store and drawn entry mode
    NULL::BIGINT AS card_store_idx,
    NULL::VARCHAR AS card_entry_mode
FROM events;
