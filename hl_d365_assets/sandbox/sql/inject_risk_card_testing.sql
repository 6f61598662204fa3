-- card_testing: a burst of 12-25 keyed-in (MANUAL) authorisations of 1.00-4.99 at one store,
-- each a different card, one every 10-20 seconds (within 5 minutes): about 80 % declined, the rest approved and left
-- uncaptured, so none settles. They close no ticket, as a clean decline does not.
INSERT INTO risk_slots BY NAME
WITH bursts AS (
    SELECT
        store_idx,
        risk_instance_id('card_testing', store_id) AS instance_id,
        12 + risk_draw(store_idx, 'card_testing', 'size', 14) AS attempts,
        trading_opens_ms() + risk_draw(store_idx, 'card_testing', 'at', trading_span_ms() - 600000) AS starts_ms
    FROM stores
    WHERE risk_instance(store_idx, 'card_testing', getvariable('risk_card_testing'))
),

attempts AS (
    SELECT b.*, a.n, risk_slot(1, a.n) AS slot
    FROM bursts AS b
    CROSS JOIN unnest(range(b.attempts)) AS a(n)
)

SELECT
    'card_testing' AS pattern,
    instance_id,
    store_idx,
    slot,
    CASE WHEN draw(store_idx, slot, 'risk:approved', 100) < 20 THEN 'preauth' ELSE 'declined' END AS kind,
    starts_ms + n * 10000 + draw(store_idx, slot, 'risk:gap', 10000) AS local_ms,
    slot AS card_slot,
    100 + draw(store_idx, slot, 'risk:small', 400) AS amount,
    'MANUAL' AS card_entry_mode
FROM attempts;
