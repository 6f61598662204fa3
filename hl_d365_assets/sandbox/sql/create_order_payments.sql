-- Order payments: D365 sales orders (seed_orders, order_payments.py) paid by card over the phone
-- or the web. Each is a captured card-not-present sale with no POS ticket, whose reference is the
-- order number, on the store that takes the order's legal entity and currency. Added after the
-- record defects are chosen, so they never carry one and a day's defects are the same with or
-- without them; added before the batches, so the store's batch, fees and deposit settle them.
--
-- Their slots follow the store's own (slots_per_store + 0, 1, ...), in order-file order: every
-- id and card draw is a function of (seed, day, store, slot) as for any other slot.
INSERT INTO transaction_events BY NAME
WITH due AS (
    SELECT
        st.store_idx,
        st.midnight_ms - st.offset_ms AS utc_midnight_ms,
        o.order_number,
        o.total_minor,
        getvariable('slots_per_store')
            + row_number() OVER (PARTITION BY st.store_idx ORDER BY o.position) - 1 AS slot
    FROM seed_orders AS o
    JOIN stores AS st ON st.store_id = o.store_id AND st.currency = o.currency
    WHERE o.position % getvariable('payment_cycle_days') = getvariable('day') % getvariable('payment_cycle_days')
),

timed AS (
    SELECT
        *,
        utc_midnight_ms + trading_opens_ms() + draw(store_idx, slot, 'time', trading_span_ms()) AS created_ms
    FROM due
)

SELECT
    store_idx,
    slot,
    1 AS event_no,
    'order_payment' AS kind,
    NULL::VARCHAR AS mix,
    slot AS card_slot,
    NULL::BIGINT AS original_slot,
    card_brand_index(store_idx, slot) AS brand_index,
    NULL::BIGINT AS ticket_seq,
    1 AS tender_no,
    created_ms,
    created_ms AS updated_ms,
    created_ms + 150 + draw(store_idx, 4 * slot + 1, 'received', 2500) AS received_ms,
    total_minor AS amount,
    '' AS amount_sign,
    0::BIGINT AS gratuity,
    '' AS description,
    'CAPTURED' AS final_status,
    NULL::VARCHAR AS delivery_defect,
    order_number AS sales_order_number
FROM timed;
