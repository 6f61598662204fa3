-- Make the day's risk_slots (the inject_risk_*.sql patterns) into slots, tickets and
-- transaction events by the rules of create_slots.sql, create_tickets.sql and
-- create_transaction_events.sql, so they render, land, settle and reach the Retail store as any
-- other record: a sale, void or refund closes a card ticket; a decline or authorisation leaves
-- an abandoned ticket number, as on a real register.
--
-- Ticket numbers of the injected records follow the store's last ticket of the day, in time
-- order (the Retail ticket id space, retail_ticket_bases, grows with them).
CREATE OR REPLACE TEMP TABLE risk_numbered AS
WITH last_numbers AS (
    SELECT store_idx, max(ticket_seq) AS last_seq FROM slots GROUP BY store_idx
)

SELECT
    r.*,
    st.tax_code,
    st.tax_rate_ppm,
    n.last_seq + row_number() OVER (PARTITION BY r.store_idx ORDER BY r.local_ms, r.slot) AS ticket_seq,
    r.kind IN ('sale', 'void', 'refund') AS closes_ticket
FROM risk_slots AS r
JOIN stores AS st USING (store_idx)
JOIN last_numbers AS n USING (store_idx);

INSERT INTO slots BY NAME
SELECT
    store_idx,
    slot,
    kind,
    CASE WHEN closes_ticket THEN 'CARD' END AS mix,
    CASE WHEN kind = 'refund' THEN original_slot END AS original_slot,
    card_slot,
    local_ms,
    NULL::BIGINT AS next_local_ms,
    ticket_seq,
    false AS cash_ticket_before
FROM risk_numbered;

CREATE OR REPLACE TEMP TABLE risk_tickets AS
WITH lined AS (
    SELECT
        r.*,
        CASE r.basket
            WHEN 'own' THEN basket_lines(r.store_idx, r.slot, 'card', r.tax_code, r.tax_rate_ppm)
            WHEN 'return' THEN return_lines(r.store_idx, r.basket_slot, r.tax_code, r.tax_rate_ppm)
            WHEN 'doubled' THEN taxed(
                discounted(list_transform(
                    basket_choices(basket_draws(r.store_idx, r.basket_slot, 'card',
                        range(1, basket_size(r.store_idx, r.basket_slot, 'card') + 1))),
                    lambda c: struct_pack(
                        line_number := c.line_number, sku := c.sku, quantity := 2 * c.quantity,
                        unit_price := c.unit_price, unit_cost := c.unit_cost,
                        discount_percent := c.discount_percent))),
                r.tax_code, r.tax_rate_ppm)
            WHEN 'bulk' THEN taxed(
                discounted(list_transform(
                    basket_choices(basket_draws(r.store_idx, r.basket_slot, 'card', range(1, 5))),
                    lambda c: struct_pack(
                        line_number := c.line_number, sku := c.sku,
                        quantity := ((50000 + draw_line(r.store_idx, r.slot, c.line_number, 'risk:bulk', 40000))
                            // c.unit_price)::BIGINT,
                        unit_price := c.unit_price, unit_cost := c.unit_cost,
                        discount_percent := 0::BIGINT))),
                r.tax_code, r.tax_rate_ppm)
            WHEN 'single' THEN taxed(
                discounted([struct_pack(
                    line_number := 1::BIGINT, sku := r.line_sku, quantity := r.line_quantity,
                    unit_price := getvariable('catalog_prices')[1 + r.line_sku],
                    unit_cost := getvariable('catalog_costs')[1 + r.line_sku],
                    discount_percent := 0::BIGINT)]),
                r.tax_code, r.tax_rate_ppm)
        END AS lines
    FROM risk_numbered AS r
    WHERE r.closes_ticket
),

totalled AS (
    SELECT
        *,
        list_sum(list_transform(lines, lambda l: l.quantity * l.unit_price))::BIGINT AS subtotal,
        list_sum(list_transform(lines, lambda l: l.discount_amount))::BIGINT AS discount_total,
        list_sum(list_transform(lines, lambda l: l.tax_amount))::BIGINT AS tax_total,
        list_sum(list_transform(lines, lambda l: l.line_total))::BIGINT AS total
    FROM lined
)

SELECT
    t.store_idx,
    t.slot,
    1 AS ordinal,
    t.kind,
    'CARD' AS mix,
    t.ticket_seq,
    o.ticket_seq AS original_ticket_seq,
    t.local_ms - 30000 - draw(t.store_idx, t.slot, 'ticket_open', 300000) AS opened_local_ms,
    t.local_ms + 2000 + draw(t.store_idx, t.slot, 'ticket_close', 20000) AS closed_local_ms,
    CASE WHEN t.kind = 'void' THEN void_local_ms(t.store_idx, t.slot, t.local_ms) ELSE t.local_ms END
        + 25000 + draw(t.store_idx, t.slot, 'ticket_upload', 60000) AS uploaded_local_ms,
    CASE WHEN t.kind = 'refund' AND o.slot IS NOT NULL THEN 'receipt presented' ELSE '' END AS note,
    t.lines,
    t.subtotal,
    t.discount_total,
    t.tax_total,
    t.total,
    'CARD' AS t1_type,
    t.total AS t1_amount,
    CASE WHEN t.tip_percent IS NULL THEN 0 ELSE (t.total * t.tip_percent + 50) // 100 END::BIGINT AS t1_tip,
    t.slot AS t1_slot,
    t.card_slot AS t1_card_slot,
    '' AS t1_gift_card_last4,
    NULL::VARCHAR AS t2_type,
    NULL::BIGINT AS t2_amount,
    NULL::BIGINT AS t2_tip,
    NULL::BIGINT AS t2_slot,
    NULL::BIGINT AS t2_card_slot,
    NULL::VARCHAR AS delivery_defect,
    t.card_store_idx AS t1_card_store_idx,
    t.register,
    t.cashier
FROM totalled AS t
LEFT JOIN slots AS o ON t.kind = 'refund' AND o.store_idx = t.store_idx AND o.slot = t.original_slot
    AND o.slot <> t.slot;

INSERT INTO tickets BY NAME SELECT * FROM risk_tickets;

INSERT INTO transaction_events BY NAME
WITH payments AS (
    SELECT
        r.store_idx,
        r.slot,
        r.kind,
        CASE WHEN r.closes_ticket THEN 'CARD' END AS mix,
        r.card_slot,
        CASE WHEN r.kind = 'refund' THEN r.original_slot END AS original_slot,
        card_brand_index(coalesce(r.card_store_idx, r.store_idx), r.card_slot) AS brand_index,
        r.ticket_seq,
        1 AS tender_no,
        coalesce(t.t1_amount + t.t1_tip, r.amount) AS amount,
        coalesce(t.t1_tip, 0) AS gratuity,
        st.midnight_ms - st.offset_ms + r.local_ms AS created_ms,
        CASE WHEN r.kind = 'void'
            THEN st.midnight_ms - st.offset_ms + void_local_ms(r.store_idx, r.slot, r.local_ms)
        END AS reversed_ms,
        r.card_store_idx,
        r.card_entry_mode
    FROM risk_numbered AS r
    JOIN stores AS st USING (store_idx)
    LEFT JOIN risk_tickets AS t USING (store_idx, slot)
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
        ELSE 'CAPTURED'
    END AS final_status,
    card_store_idx,
    card_entry_mode
FROM events;

INSERT INTO risk_truth BY NAME
SELECT pattern, instance_id, 'transaction' AS record_kind, store_idx, slot FROM risk_slots
UNION ALL
SELECT pattern, instance_id, 'ticket' AS record_kind, store_idx, slot FROM risk_slots
WHERE kind IN ('sale', 'void', 'refund');

DROP TABLE risk_numbered;
DROP TABLE risk_tickets;
