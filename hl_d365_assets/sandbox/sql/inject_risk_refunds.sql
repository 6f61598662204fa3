-- The refund patterns: each a captured refund at the gateway with its RETURN ticket at the POS.
--
-- refund_no_sale: a return with no sale behind it; the gateway refund is unlinked (its
-- parent_resource_id is its own id, as a sale's is) and goes to a card the store never charged.
-- refund_larger_than_sale: the refund of a sale (the first of risk_refundable_sales) returns
-- its whole basket twice over, to the sale's card, 20 minutes to 2 hours after it.
-- refund_other_card: the refund of another sale (the second), one unit as a clean return, to
-- a card other than the sale's.
INSERT INTO risk_slots BY NAME
SELECT
    'refund_no_sale' AS pattern,
    risk_instance_id('refund_no_sale', store_id) AS instance_id,
    store_idx,
    risk_slot(3, 0) AS slot,
    'refund' AS kind,
    9 * 3600000 + risk_draw(store_idx, 'refund_no_sale', 'at', 11 * 3600000) AS local_ms,
    risk_slot(3, 0) AS card_slot,
    risk_slot(3, 0) AS original_slot,
    'return' AS basket,
    risk_slot(3, 0) AS basket_slot
FROM stores
WHERE risk_instance(store_idx, 'refund_no_sale', getvariable('risk_refund_no_sale'));

INSERT INTO risk_slots BY NAME
SELECT
    'refund_larger_than_sale' AS pattern,
    risk_instance_id('refund_larger_than_sale', st.store_id) AS instance_id,
    st.store_idx,
    risk_slot(4, 0) AS slot,
    'refund' AS kind,
    least(r.local_ms + 1200000 + risk_draw(st.store_idx, 'refund_larger_than_sale', 'after', 6000000),
          trading_opens_ms() + trading_span_ms() - 300000) AS local_ms,
    r.slot AS card_slot,
    r.slot AS original_slot,
    'doubled' AS basket,
    r.slot AS basket_slot
FROM stores AS st
JOIN risk_refundable_sales AS r ON r.store_idx = st.store_idx AND r.pick = 1
WHERE risk_instance(st.store_idx, 'refund_larger_than_sale', getvariable('risk_refund_larger_than_sale'));

INSERT INTO risk_slots BY NAME
SELECT
    'refund_other_card' AS pattern,
    risk_instance_id('refund_other_card', st.store_id) AS instance_id,
    st.store_idx,
    risk_slot(5, 0) AS slot,
    'refund' AS kind,
    least(r.local_ms + 1200000 + risk_draw(st.store_idx, 'refund_other_card', 'after', 6000000),
          trading_opens_ms() + trading_span_ms() - 300000) AS local_ms,
    risk_slot(5, 0) AS card_slot,
    r.slot AS original_slot,
    'return' AS basket,
    r.slot AS basket_slot
FROM stores AS st
JOIN risk_refundable_sales AS r ON r.store_idx = st.store_idx AND r.pick = 2
WHERE risk_instance(st.store_idx, 'refund_other_card', getvariable('risk_refund_other_card'));
