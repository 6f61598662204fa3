-- <entity>_envelopes: one landing line per record, compact JSON in the field order of
-- docs/landing_format.md, money as strings of integer minor units, counts as integers.
--
-- The POS tickets are not landed here: they are Heartland Retail documents
-- (create_retail_tickets.sql), which the Retail pull lands from the simulator.
--
-- Ids and texts are rendered here from the records' numeric keys. Transaction lines,
-- a million a day at full scale, are assembled with concat(), which costs a third of to_json()
-- of a struct. Everything concatenated raw is an id, code, number or timestamp made here or
-- checked by stores.py (sales order numbers: order_payments.py); free text goes through
-- to_json() or was JSON-encoded by the generator (the *_json columns, cardholder_names_json). The few batch lines use to_json(struct_pack(...)). The tests compare every line with its compact re-serialisation.
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
        getvariable('brand_names')[e.brand_index] AS brand,
        coalesce(e.card_store_idx, e.store_idx) AS card_store
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
        '","entry_mode":"', coalesce(
            e.card_entry_mode,
            CASE WHEN e.kind = 'order_payment' THEN 'MANUAL' ELSE entry_mode(e.store_idx, e.slot) END
        ),
        '","name":', cardholder_name_json(e.card_store, e.card_slot),
        ',"id":"', card_token(e.card_store, e.card_slot),
        '","card":{"brand":"', e.brand,
        '","masked_number_first6last4":"', card_masked_number(e.card_store, e.card_slot, e.brand_index),
        '","authcode":"', CASE WHEN e.kind = 'declined' THEN '' ELSE authcode(e.store_idx, e.slot) END,
        '","brand_reference":"', hex32(e.store_idx, e.slot, 'brand_reference')[2:16],
        '","funding":"', card_funding(e.card_store, e.card_slot, e.brand),
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
