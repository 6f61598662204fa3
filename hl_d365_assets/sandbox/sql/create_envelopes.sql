-- <entity>_envelopes: one landing line per record, compact JSON in the field order of
-- docs/landing_format.md, money as strings of integer minor units, counts as integers.
--
-- Ids and texts are rendered here from the records' numeric keys. Transaction and ticket lines,
-- a million a day at full scale, are assembled with concat(), which costs a third of to_json()
-- of a struct. Everything concatenated raw is an id, code, number or timestamp made here or
-- checked by stores.py (sales order numbers: order_payments.py); free text goes through
-- to_json() or was JSON-encoded by the generator (the *_json columns, catalog_line_fragments,
-- cardholder_names_json). The few batch lines use to_json(struct_pack(...)). The tests compare every line with its compact re-serialisation.
--
-- (store_idx, slot, ordinal) is the order lines land in; delivery_defect says how the generator
-- lands a line (NULL: normally).

-- A malformed_json line: cut 30-70 % of the way into what follows {"event_id":"…",
CREATE OR REPLACE MACRO truncated_line(p_line) AS left(
    p_line,
    strpos(p_line, '",') + 1 + (length(p_line) - strpos(p_line, '",') - 1) * (30 + hash(p_line) % 41)::BIGINT // 100
);

CREATE OR REPLACE VIEW payment_transactions_envelopes AS
WITH rendered AS (
    SELECT
        e.*,
        trn_id(e.store_idx, e.slot) AS id,
        transaction_status(e.kind, e.event_no) AS status,
        utc_text(e.updated_ms) AS time_last_updated,
        getvariable('brand_names')[e.brand_index] AS brand
    FROM transaction_events AS e
)

SELECT
    e.store_idx,
    e.slot,
    e.event_no AS ordinal,
    e.delivery_defect,
    concat(
        '{"event_id":"', transaction_event_id(e.store_idx, e.slot, e.status),
        '","event_type":"', CASE
            WHEN e.event_no = 2 AND e.kind = 'void' THEN 'transaction.voided'
            WHEN e.event_no = 2 THEN 'transaction.reversed'
            WHEN e.kind = 'declined' THEN 'transaction.declined'
            WHEN e.kind IN ('preauth', 'preauth_reversed') THEN 'transaction.preauthorized'
            WHEN e.kind = 'refund' THEN 'transaction.refunded'
            ELSE 'transaction.captured'
        END,
        '","received_at":"', utc_text(e.received_ms),
        '","payload":{"id":"', e.id,
        '","time_created":"', utc_text(e.created_ms),
        '","time_last_updated":"', e.time_last_updated,
        '","status":"', e.status,
        '","type":"', CASE WHEN e.kind = 'refund' THEN 'REFUND' ELSE 'SALE' END,
        -- order payments are keyed in card-not-present (phone and web orders)
        '","channel":"', CASE WHEN e.kind = 'order_payment' THEN 'CNP' ELSE 'CP' END,
        '","merchant_id":"', st.merchant_id,
        '","merchant_name":', st.store_name_json,
        ',"account_id":"', st.account_id,
        '","account_name":"Transaction_Processing","site_reference":"', st.store_id,
        '","amount":"', e.amount_sign, e.amount,
        '","gratuity_amount":"', e.gratuity,
        '","currency":"', coalesce(e.currency, st.currency),
        '","reference":"', CASE
            WHEN e.sales_order_number IS NOT NULL THEN e.sales_order_number
            ELSE ticket_id_text(st.store_id, e.ticket_seq) || '-T' || e.tender_no
        END,
        '","description":', to_json(e.description),
        ',"batch_id":"', CASE WHEN e.status = 'CAPTURED' THEN st.batch_id ELSE '' END,
        '","parent_resource_id":"', CASE WHEN e.kind = 'refund' THEN trn_id(e.store_idx, e.original_slot) ELSE e.id END,
        '","payment_method":{"result":"', CASE
            WHEN e.kind = 'declined' THEN ['101', '102', '103', '111'][1 + draw(e.store_idx, e.slot, 'decline_code', 4)]
            ELSE '00'
        END,
        '","message":"', CASE WHEN e.kind = 'declined' THEN 'DECLINED' ELSE 'SUCCESS' END,
        '","entry_mode":"', CASE WHEN e.kind = 'order_payment' THEN 'MANUAL' ELSE entry_mode(e.store_idx, e.slot) END,
        '","name":', cardholder_name_json(e.store_idx, e.card_slot),
        ',"id":"', card_token(e.store_idx, e.card_slot),
        '","card":{"brand":"', e.brand,
        '","masked_number_first6last4":"', card_masked_number(e.store_idx, e.card_slot, e.brand_index),
        '","authcode":"', CASE WHEN e.kind = 'declined' THEN '' ELSE authcode(e.store_idx, e.slot) END,
        '","brand_reference":"', hex32(e.store_idx, e.slot, 'brand_reference')[2:16],
        '","funding":"', card_funding(e.store_idx, e.card_slot, e.brand),
        '"}},"action":{"id":"ACT_', action_id_hex(e.store_idx, e.slot, e.event_no),
        '","type":"', CASE WHEN e.event_no = 2 THEN 'REVERSAL' WHEN e.kind = 'refund' THEN 'REFUND' ELSE 'AUTHORIZE' END,
        '","time_created":"', e.time_last_updated,
        '","result_code":"', CASE WHEN e.kind = 'declined' THEN 'DECLINED' ELSE 'SUCCESS' END,
        '"}}}'
    ) AS line
FROM rendered AS e
JOIN stores AS st USING (store_idx);

CREATE OR REPLACE VIEW settlement_batches_envelopes AS
SELECT
    b.store_idx,
    -1 AS slot,
    0 AS ordinal,
    b.delivery_defect,
    to_json(struct_pack(
        event_id := batch_event_id(st.batch_id),
        event_type := 'batch.closed',
        received_at := utc_text(b.received_ms),
        payload := struct_pack(
            id := st.batch_id,
            status := 'CLOSED',
            time_created := utc_text(b.created_ms),
            time_closed := utc_text(b.closed_ms),
            merchant_id := st.merchant_id,
            merchant_name := st.store_name,
            site_reference := st.store_id,
            currency := st.currency,
            amount := b.amount::VARCHAR,
            transaction_count := b.transaction_count,
            sales := struct_pack(count := b.sales_count, amount := b.sales_amount::VARCHAR),
            refunds := struct_pack(count := b.refunds_count, amount := b.refunds_amount::VARCHAR),
            gratuity_amount := b.gratuity_amount::VARCHAR,
            brand_breakdown := list_transform(b.brand_breakdown, lambda x: struct_pack(
                brand := x.brand,
                count := x.count,
                amount := x.amount::VARCHAR,
                sales := struct_pack(count := x.sales_count, amount := x.sales_amount::VARCHAR),
                refunds := struct_pack(count := x.refunds_count, amount := x.refunds_amount::VARCHAR),
                fees_amount := x.fees_amount::VARCHAR
            )),
            deposit := struct_pack(
                id := st.deposit_id,
                time_created := getvariable('deposit_date'),
                status := 'FUNDED',
                amount := b.deposit_amount::VARCHAR,
                fees := struct_pack(amount := b.fees_amount::VARCHAR)
            )
        )
    )) AS line
FROM settlement_batches AS b
JOIN stores AS st USING (store_idx);

-- One POS tender as JSON; card fields are "" unless it is a CARD tender.
CREATE OR REPLACE MACRO tender_json(p_store, p_tender_id, p_type, p_amount, p_tip, p_slot, p_card_slot, p_gift_card_last4) AS
    concat(
        '{"tender_id":"', p_tender_id,
        '","tender_type":"', p_type,
        '","amount":"', p_amount,
        '","tip_amount":"', p_tip,
        '","gateway_transaction_id":"', CASE WHEN p_slot IS NULL THEN '' ELSE trn_id(p_store, p_slot) END,
        '","card_brand":"', CASE
            WHEN p_card_slot IS NULL THEN ''
            ELSE getvariable('brand_names')[card_brand_index(p_store, p_card_slot)]
        END,
        '","masked_number_first6last4":"', CASE
            WHEN p_card_slot IS NULL THEN ''
            ELSE card_masked_number(p_store, p_card_slot, card_brand_index(p_store, p_card_slot))
        END,
        '","gift_card_last4":"', p_gift_card_last4,
        '"}'
    );

-- One ticket line as JSON; catalog_line_fragments holds each SKU's '"sku":…,"description":…,'.
CREATE OR REPLACE MACRO ticket_line_json(p_line) AS
    concat(
        '{"line_number":', p_line.line_number,
        ',', getvariable('catalog_line_fragments')[1 + p_line.sku],
        '"quantity":', p_line.quantity,
        ',"unit_price":"', p_line.unit_price,
        '","discount_amount":"', p_line.discount_amount,
        '","tax_code":"', p_line.tax_code,
        '","tax_amount":"', p_line.tax_amount,
        '","unit_cost":"', p_line.unit_cost,
        '","line_total":"', p_line.line_total,
        '"}'
    );

CREATE OR REPLACE VIEW pos_tickets_envelopes AS
WITH rendered AS (
    SELECT
        t.*,
        ticket_id_text(st.store_id, t.ticket_seq) AS ticket_id,
        st.store_id,
        st.currency,
        st.midnight_ms,
        st.midnight_ms - st.offset_ms AS utc_midnight_ms,
        st.offset_text
    FROM tickets AS t
    JOIN stores AS st USING (store_idx)
)

SELECT
    t.store_idx,
    t.slot,
    t.ordinal,
    t.delivery_defect,
    concat(
        '{"event_id":"', ticket_event_id(t.store_idx, t.slot, t.ordinal),
        '","event_type":"ticket.closed","received_at":"', utc_text(t.utc_midnight_ms + t.uploaded_local_ms),
        '","payload":{"ticket_id":"', t.ticket_id,
        '","store_id":"', t.store_id,
        '","register_id":"R', lpad((1 + draw(t.store_idx, 2 * t.slot + t.ordinal, 'register', 6))::VARCHAR, 2, '0'),
        '","cashier_id":"C', lpad((1 + draw(t.store_idx, 2 * t.slot + t.ordinal, 'cashier', 40))::VARCHAR, 3, '0'),
        '","ticket_type":"', CASE WHEN t.kind = 'refund' THEN 'RETURN' ELSE 'SALE' END,
        '","status":"', CASE WHEN t.kind = 'void' THEN 'VOIDED' ELSE 'CLOSED' END,
        '","currency":"', t.currency,
        '","opened_at":"', local_text(t.midnight_ms + t.opened_local_ms, t.offset_text),
        '","closed_at":"', local_text(t.midnight_ms + t.closed_local_ms, t.offset_text),
        '","original_ticket_id":"', CASE
            WHEN t.original_ticket_seq IS NULL THEN ''
            ELSE ticket_id_text(t.store_id, t.original_ticket_seq)
        END,
        '","note":', to_json(t.note),
        ',"subtotal":"', t.subtotal,
        '","discount_total":"', t.discount_total,
        '","tax_total":"', t.tax_total,
        '","total":"', t.total,
        '","lines":[', array_to_string(list_transform(t.lines, lambda l: ticket_line_json(l)), ','),
        '],"tenders":[', tender_json(t.store_idx, t.ticket_id || '-T1', t.t1_type, t.t1_amount, t.t1_tip,
            t.t1_slot, t.t1_card_slot, t.t1_gift_card_last4),
        CASE
            WHEN t.t2_type IS NOT NULL
            THEN ',' || tender_json(t.store_idx, t.ticket_id || '-T2', t.t2_type, t.t2_amount, t.t2_tip,
                t.t2_slot, t.t2_card_slot, '')
            ELSE ''
        END,
        ']}}'
    ) AS line
FROM rendered AS t;
