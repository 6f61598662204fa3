-- card_many_stores: one card (the same token, brand and first6/last4: the card of the instance
-- store's first injected slot) buys at 3-4 stores (every store when fewer), 2-18 minutes apart
-- and within 40 minutes, the first purchase between
-- 12:00 and 15:00 at the first store; each later store's local time is the same UTC instant in
-- its own time zone. Captured sales with their POS tickets, settled like any other.
INSERT INTO risk_slots BY NAME
WITH store_count AS (SELECT count(*) AS n FROM stores),

instances AS (
    SELECT
        st.store_idx AS first_store,
        st.offset_ms AS first_offset_ms,
        risk_instance_id('card_many_stores', st.store_id) AS instance_id,
        12 * 3600000 + risk_draw(st.store_idx, 'card_many_stores', 'at', 3 * 3600000) AS first_local_ms,
        least(2 + risk_draw(st.store_idx, 'card_many_stores', 'stores', 2), c.n - 1) AS other_stores,
        c.n
    FROM stores AS st, store_count AS c
    WHERE c.n >= 2 AND risk_instance(st.store_idx, 'card_many_stores', getvariable('risk_card_many_stores'))
),

uses AS (
    SELECT i.*, u.k, ((i.first_store + u.k) % i.n)::INTEGER AS store_idx
    FROM instances AS i
    CROSS JOIN unnest(range(i.other_stores + 1)) AS u(k)
)

SELECT
    'card_many_stores' AS pattern,
    u.instance_id,
    u.store_idx,
    risk_slot(2, u.first_store * 16 + u.k) AS slot,
    'sale' AS kind,
    u.first_local_ms + (st.offset_ms - u.first_offset_ms)
        + u.k * 600000 + draw(u.first_store, u.k, 'risk:card_many_stores:gap', 480000) AS local_ms,
    u.first_store AS card_store_idx,
    risk_slot(2, u.first_store * 16) AS card_slot,
    'own' AS basket
FROM uses AS u
JOIN stores AS st USING (store_idx);
