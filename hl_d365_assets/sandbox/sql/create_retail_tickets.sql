-- retail_tickets_documents: the day's tickets as Heartland Retail serves them
-- (docs/heartland_retail.md), rendered from the same `tickets` table the pos_tickets landing
-- lines come from, so a card payment names the very gateway transaction (TRN id) that took it.
--
-- * Returns have negative qty, value, totals and payment amounts; voids are status "voided".
-- * A sandbox line whose discounted amount does not divide by its quantity becomes two lines
--   (the extra cent on one unit), so value = qty x adjusted_unit_price holds to the cent.
-- * Tax is one ticket-level tax_total, the sum of the sandbox lines' tax.
-- * 4 % of cash tickets also sell a gift card (GiftCardLine), paid in the same cash.
-- * A payment's amount excludes its tip; the tip is its own `tip` number (assumed shape).
-- * version 2 is the ticket edited after upload (the duplicate_delivery defect): the same ticket
--   with another note and a later updated_at, appended after the day's tickets.
-- * Ids: retail_ticket_bases places each store's tickets in the day's range of ids; a line's or
--   payment's id is its ticket's id and its position.

CREATE OR REPLACE TABLE retail_ticket_bases AS
WITH per_store AS (
    SELECT store_idx, max(ticket_seq) + 1 AS ticket_numbers
    FROM slots
    GROUP BY store_idx
)

SELECT
    store_idx,
    coalesce(sum(ticket_numbers) OVER (ORDER BY store_idx ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT
        AS base,
    ticket_numbers
FROM per_store;

-- One ItemLine per unit price: [struct] or, when the discount leaves cents to spread, two.
CREATE OR REPLACE MACRO retail_item_lines(p_lines) AS flatten(list_transform(p_lines, lambda l: CASE
    WHEN (l.quantity * l.unit_price - l.discount_amount) % l.quantity = 0
        THEN [struct_pack(sku := l.sku, qty := l.quantity, original := l.unit_price,
            adjusted := (l.quantity * l.unit_price - l.discount_amount) // l.quantity, cost := l.unit_cost)]
    ELSE [
        struct_pack(sku := l.sku, qty := l.quantity - (l.quantity * l.unit_price - l.discount_amount) % l.quantity,
            original := l.unit_price,
            adjusted := (l.quantity * l.unit_price - l.discount_amount) // l.quantity, cost := l.unit_cost),
        struct_pack(sku := l.sku, qty := (l.quantity * l.unit_price - l.discount_amount) % l.quantity,
            original := l.unit_price,
            adjusted := (l.quantity * l.unit_price - l.discount_amount) // l.quantity + 1, cost := l.unit_cost)]
END));

CREATE OR REPLACE MACRO retail_item_line_json(p_id, p_line, p_sign, p_created, p_updated) AS concat(
    '{"id":', p_id,
    ',"type":"ItemLine","item_id":', retail_item_id(p_line.sku),
    ',"item_public_id":"', getvariable('retail_catalog_skus')[1 + p_line.sku],
    '","description":', getvariable('retail_catalog_descriptions_json')[1 + p_line.sku],
    ',"qty":', p_sign * p_line.qty,
    ',"original_unit_price":', money_json(p_line.original),
    ',"unit_price":', money_json(p_line.adjusted),
    ',"adjusted_unit_price":', money_json(p_line.adjusted),
    ',"value":', money_json(p_sign * p_line.qty * p_line.adjusted),
    ',"unit_cost":', money_json(p_line.cost),
    ',"created_at":"', p_created,
    '","updated_at":"', p_updated,
    '"}');

CREATE OR REPLACE MACRO retail_payment_json(p_id, p_store, p_type, p_payment_type_id, p_amount, p_tip, p_slot, p_time) AS concat(
    '{"id":', p_id,
    ',"type":"', retail_payment_class(p_type),
    '","payment_type_id":', p_payment_type_id,
    ',"description":"', getvariable('retail_payment_type_names')[p_payment_type_id],
    '","amount":', money_json(p_amount),
    ',"tip":', money_json(p_tip),
    ',"created_at":"', p_time,
    '","updated_at":"', p_time,
    '","custom":', CASE WHEN p_type = 'CARD' THEN '{"gateway_transaction_id":"' || trn_id(p_store, p_slot) || '"}' ELSE '{}' END,
    '}');

CREATE OR REPLACE VIEW retail_tickets_documents AS
WITH shaped AS (
    SELECT
        t.*,
        retail_ticket_id(b.base, t.ticket_seq) AS id,
        ticket_id_text(st.store_id, t.ticket_seq) AS public_id,
        st.store_id,
        st.offset_text,
        st.midnight_ms,
        l.location_id,
        CASE WHEN t.kind = 'refund' THEN -1 ELSE 1 END AS sign,
        retail_item_lines(t.lines) AS item_lines,
        retail_payment_type_id(t.t1_type, coalesce(t.t1_card_store_idx, t.store_idx), t.t1_card_slot)
            AS t1_payment_type_id,
        retail_payment_type_id(t.t2_type, t.store_idx, t.t2_card_slot) AS t2_payment_type_id,
        CASE
            WHEN t.kind = 'cash' AND draw(t.store_idx, 2 * t.slot, 'retail_gift_card_sale', 100) < 4
                THEN [2500, 5000, 10000][1 + draw(t.store_idx, 2 * t.slot, 'retail_gift_card_value', 3)]
            ELSE 0
        END AS gift_card_sold,
        draw(t.store_idx, 2 * t.slot + t.ordinal, 'retail_customer', 100) AS customer_draw,
        1 + draw(t.store_idx, 2 * t.slot + t.ordinal, 'retail_person', 250) AS person,
        draw(t.store_idx, 2 * t.slot + t.ordinal, 'retail_record', 100) < 30 AS picks_second_record
    FROM tickets AS t
    JOIN stores AS st USING (store_idx)
    JOIN retail_locations AS l USING (store_id)
    JOIN retail_ticket_bases AS b USING (store_idx)
),

-- Most card tickets name nobody or the walk-in customer; some name a customer on file, now and
-- then the duplicate record a cashier picked instead of the first one.
customers AS (
    SELECT
        s.*,
        CASE
            WHEN s.customer_draw < CASE WHEN s.kind = 'cash' THEN 20 ELSE 15 END
                THEN coalesce(CASE WHEN s.picks_second_record THEN c1.id END, c0.id)
            WHEN s.customer_draw < CASE WHEN s.kind = 'cash' THEN 80 ELSE 50 END THEN retail_walk_in_customer_id()
        END AS customer_id,
        CASE
            WHEN s.customer_draw < CASE WHEN s.kind = 'cash' THEN 20 ELSE 15 END
                THEN to_json(CASE
                    WHEN s.picks_second_record AND c1.id IS NOT NULL THEN c1.first_name || ' ' || c1.last_name
                    ELSE c0.first_name || ' ' || c0.last_name
                END)::VARCHAR
            WHEN s.customer_draw < CASE WHEN s.kind = 'cash' THEN 80 ELSE 50 END THEN '"Walk-in Customer"'
            ELSE 'null'
        END AS customer_name_json
    FROM shaped AS s
    LEFT JOIN retail_customers AS c0 ON c0.location_id = s.location_id AND c0.person = s.person AND c0.copy = 0
    LEFT JOIN retail_customers AS c1 ON c1.location_id = s.location_id AND c1.person = s.person AND c1.copy = 1
),

versions AS (
    SELECT
        c.*,
        v.version,
        CASE
            WHEN v.version = 1 THEN c.note
            WHEN c.note = '' THEN 'receipt reprinted'
            ELSE c.note || '; receipt reprinted'
        END AS shown_note,
        c.uploaded_local_ms + CASE
            WHEN v.version = 1 THEN 0
            ELSE 3600000 * (1 + draw(c.store_idx, 2 * c.slot + c.ordinal, 'retail_edit', 6))
        END AS updated_local_ms
    FROM customers AS c
    JOIN (VALUES (1), (2)) AS v(version)
        ON v.version = 1 OR c.delivery_defect = 'duplicate_delivery'
),

timed AS (
    SELECT
        *,
        retail_time(midnight_ms + opened_local_ms, offset_text) AS created_at,
        retail_time(midnight_ms + closed_local_ms, offset_text) AS completed_at,
        retail_time(midnight_ms + updated_local_ms, offset_text) AS updated_at,
        sign * (subtotal - discount_total) + gift_card_sold AS retail_subtotal,
        sign * tax_total AS retail_tax_total
    FROM versions
)

SELECT
    t.store_idx,
    t.slot,
    t.ordinal,
    t.version,
    concat(
        '{"id":', t.id,
        ',"public_id":"', t.public_id,
        '","status":"', CASE WHEN t.kind = 'void' THEN 'voided' ELSE 'complete' END,
        '","station_id":', retail_station_id(t.location_id, coalesce(t.register, ticket_register(t.store_idx, t.slot, t.ordinal))),
        ',"source_location_id":', t.location_id,
        ',"customer_id":', coalesce(t.customer_id::VARCHAR, 'null'),
        ',"customer_name":', t.customer_name_json,
        ',"sales_rep":"C', lpad(coalesce(t.cashier, 1 + draw(t.store_idx, 2 * t.slot + t.ordinal, 'cashier', 40))::VARCHAR, 3, '0'),
        '","created_at":"', t.created_at,
        '","completed_at":"', t.completed_at,
        '","updated_at":"', t.updated_at,
        '","subtotal":', money_json(t.retail_subtotal),
        ',"tax_total":', money_json(t.retail_tax_total),
        ',"total":', money_json(t.retail_subtotal + t.retail_tax_total),
        ',"total_paid":', money_json(t.retail_subtotal + t.retail_tax_total),
        ',"balance":0.0,"custom":{"note":', to_json(t.shown_note),
        '},"lines":[',
        array_to_string(
            list_transform(t.item_lines, lambda l, i: retail_item_line_json(10 * t.id + i, l, t.sign, t.created_at, t.completed_at)),
            ','
        ),
        CASE
            WHEN t.gift_card_sold > 0 THEN concat(
                ',{"id":', 10 * t.id + len(t.item_lines) + 1,
                ',"type":"GiftCardLine","description":"Gift card","qty":1,"unit_price":', money_json(t.gift_card_sold),
                ',"adjusted_unit_price":', money_json(t.gift_card_sold),
                ',"value":', money_json(t.gift_card_sold),
                ',"gift_card_number_last4":"', lpad(draw(t.store_idx, 2 * t.slot, 'retail_gift_card_number', 10000)::VARCHAR, 4, '0'),
                '","created_at":"', t.created_at,
                '","updated_at":"', t.completed_at,
                '"}')
            ELSE ''
        END,
        '],"payments":[',
        retail_payment_json(10 * t.id + 1, t.store_idx, t.t1_type, t.t1_payment_type_id,
            t.sign * t.t1_amount + t.gift_card_sold, t.sign * t.t1_tip, t.t1_slot, t.completed_at),
        CASE
            WHEN t.t2_type IS NOT NULL THEN ',' || retail_payment_json(10 * t.id + 2, t.store_idx, t.t2_type,
                t.t2_payment_type_id, t.sign * t.t2_amount, t.sign * t.t2_tip, t.t2_slot, t.completed_at)
            ELSE ''
        END,
        ']}'
    ) AS line
FROM timed AS t;
