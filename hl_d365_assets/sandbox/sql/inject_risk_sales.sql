-- The sale patterns: captured card sales with their POS tickets, settled like any other.
--
-- amount_outlier: one sale of four lines worth 500-900 each (a clean basket is 1-4 lines of
-- 1-3 units at 1.99-60.99). off_hours: 2-4 sales between 01:00 and 05:00 local, outside the
-- 08:00-21:00 trading hours. excessive_tip: one sale with a tip of 60-150 % of the ticket (clean
-- tips are 10-20 % on 12 % of sales).
INSERT INTO risk_slots BY NAME
SELECT
    'amount_outlier' AS pattern,
    risk_instance_id('amount_outlier', store_id) AS instance_id,
    store_idx,
    risk_slot(6, 0) AS slot,
    'sale' AS kind,
    9 * 3600000 + risk_draw(store_idx, 'amount_outlier', 'at', 11 * 3600000) AS local_ms,
    risk_slot(6, 0) AS card_slot,
    'bulk' AS basket,
    risk_slot(6, 0) AS basket_slot
FROM stores
WHERE risk_instance(store_idx, 'amount_outlier', getvariable('risk_amount_outlier'));

INSERT INTO risk_slots BY NAME
WITH instances AS (
    SELECT
        store_idx,
        risk_instance_id('off_hours', store_id) AS instance_id,
        2 + risk_draw(store_idx, 'off_hours', 'count', 3) AS sales
    FROM stores
    WHERE risk_instance(store_idx, 'off_hours', getvariable('risk_off_hours'))
)

SELECT
    'off_hours' AS pattern,
    i.instance_id,
    i.store_idx,
    risk_slot(7, s.n) AS slot,
    'sale' AS kind,
    3600000 + s.n * 3600000 + draw(i.store_idx, risk_slot(7, s.n), 'risk:at', 1800000) AS local_ms,
    risk_slot(7, s.n) AS card_slot,
    'own' AS basket
FROM instances AS i
CROSS JOIN unnest(range(i.sales)) AS s(n);

INSERT INTO risk_slots BY NAME
SELECT
    'excessive_tip' AS pattern,
    risk_instance_id('excessive_tip', store_id) AS instance_id,
    store_idx,
    risk_slot(8, 0) AS slot,
    'sale' AS kind,
    11 * 3600000 + risk_draw(store_idx, 'excessive_tip', 'at', 9 * 3600000) AS local_ms,
    risk_slot(8, 0) AS card_slot,
    'own' AS basket,
    60 + risk_draw(store_idx, 'excessive_tip', 'percent', 91) AS tip_percent
FROM stores
WHERE risk_instance(store_idx, 'excessive_tip', getvariable('risk_excessive_tip'));
