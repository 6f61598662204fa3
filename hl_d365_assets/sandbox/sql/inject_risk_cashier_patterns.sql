-- The cashier patterns.
--
-- split_ticket: one purchase rung up as 3-4 tickets of one line each, every ticket just under
-- the limit ($risk_split_limit minor units, as a store's approval limit: within one unit price,
-- under 12.00, of it), paid by the same card, by the same cashier at the same register, 2-4
-- minutes apart.
-- void_after_capture: one cashier voids 5-8 card sales, each 1-10 minutes after its capture
-- (the void of a clean sale), 5-25 minutes apart. Clean voids are 1 % of a store's slots,
-- spread over 40 cashiers.
CREATE OR REPLACE TEMP TABLE risk_cheap_skus AS
SELECT list(sku ORDER BY sku) AS skus
FROM range(getvariable('catalog_size')) AS r(sku)
WHERE getvariable('catalog_prices')[1 + sku] <= 1199;

INSERT INTO risk_slots BY NAME
WITH instances AS (
    SELECT
        store_idx,
        tax_rate_ppm,
        risk_instance_id('split_ticket', store_id) AS instance_id,
        3 + risk_draw(store_idx, 'split_ticket', 'tickets', 2) AS tickets,
        9 * 3600000 + risk_draw(store_idx, 'split_ticket', 'at', 10 * 3600000) AS starts_ms,
        1 + risk_draw(store_idx, 'split_ticket', 'cashier', 40) AS cashier,
        1 + risk_draw(store_idx, 'split_ticket', 'register', 6) AS register
    FROM stores
    WHERE risk_instance(store_idx, 'split_ticket', getvariable('risk_split_ticket'))
),

split_tickets AS (
    SELECT
        i.*,
        t.n,
        risk_slot(9, t.n) AS slot,
        c.skus[1 + draw(i.store_idx, risk_slot(9, t.n), 'risk:sku', len(c.skus))] AS sku
    FROM instances AS i
    CROSS JOIN unnest(range(i.tickets)) AS t(n)
    CROSS JOIN risk_cheap_skus AS c
)

SELECT
    'split_ticket' AS pattern,
    instance_id,
    store_idx,
    slot,
    'sale' AS kind,
    starts_ms + n * 180000 + draw(store_idx, slot, 'risk:gap', 60000) AS local_ms,
    risk_slot(9, 0) AS card_slot,
    'single' AS basket,
    sku AS line_sku,
    -- total = q * price + tax(q * price) <= (limit - 1) + 0.5 < limit
    (getvariable('risk_split_limit') - 1) * 1000000
        // ((1000000 + tax_rate_ppm) * getvariable('catalog_prices')[1 + sku]) AS line_quantity,
    register,
    cashier
FROM split_tickets;

INSERT INTO risk_slots BY NAME
WITH instances AS (
    SELECT
        store_idx,
        risk_instance_id('void_after_capture', store_id) AS instance_id,
        5 + risk_draw(store_idx, 'void_after_capture', 'voids', 4) AS voids,
        9 * 3600000 + risk_draw(store_idx, 'void_after_capture', 'at', 8 * 3600000) AS starts_ms,
        1 + risk_draw(store_idx, 'void_after_capture', 'cashier', 40) AS cashier
    FROM stores
    WHERE risk_instance(store_idx, 'void_after_capture', getvariable('risk_void_after_capture'))
)

SELECT
    'void_after_capture' AS pattern,
    i.instance_id,
    i.store_idx,
    risk_slot(10, v.n) AS slot,
    'void' AS kind,
    i.starts_ms + v.n * 900000 + draw(i.store_idx, risk_slot(10, v.n), 'risk:gap', 600000) AS local_ms,
    risk_slot(10, v.n) AS card_slot,
    'own' AS basket,
    i.cashier
FROM instances AS i
CROSS JOIN unnest(range(i.voids)) AS v(n);
