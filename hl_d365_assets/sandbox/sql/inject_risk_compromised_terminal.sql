-- compromised_terminal: one register of a store whose card entries fall back to the magnetic
-- stripe (SWIPE, 60 %) or are keyed in (MANUAL, 40 %) for 3 consecutive days, instead of
-- contactless or chip (about 10 % of a clean register's entries are swiped or keyed).
--
-- Unlike the other patterns it spans days: the days are cut into weeks (date ordinal // 7), and
-- a store has an instance in a week when a draw of (seed, store, week) — not of the day — is
-- under its rate per 1,000 store-weeks; the instance starts on day 0-4 of the week, on a
-- register 1-6, all drawn the same way. Every card payment of the store's own slots rung up on
-- that register on those days changes its entry mode.
CREATE OR REPLACE MACRO risk_week_draw(p_store, p_what, p_m) AS
    (hash(hash(getvariable('seed'), getvariable('day') // 7, p_store, 'risk:compromised_terminal:' || p_what)) % p_m)::BIGINT;

CREATE OR REPLACE TEMP TABLE risk_compromised AS
SELECT
    st.store_idx,
    1 + risk_week_draw(st.store_idx, 'register', 6) AS register,
    'compromised_terminal-' || st.store_id || '-R' || (1 + risk_week_draw(st.store_idx, 'register', 6))
        || '-' || strftime(DATE '0001-01-01' + INTERVAL (getvariable('day') - 1 - getvariable('day') % 7
            + risk_week_draw(st.store_idx, 'start', 5)) DAY, '%Y%m%d') AS instance_id
FROM stores AS st
WHERE risk_week_draw(st.store_idx, 'instance', 1000) < getvariable('risk_compromised_terminal')
    AND getvariable('day') % 7 - risk_week_draw(st.store_idx, 'start', 5) BETWEEN 0 AND 2;

CREATE OR REPLACE TEMP TABLE risk_compromised_payments AS
WITH tenders AS (
    SELECT store_idx, slot, ordinal, t1_slot AS payment_slot FROM tickets WHERE t1_type = 'CARD'
    UNION ALL
    SELECT store_idx, slot, ordinal, t2_slot FROM tickets WHERE t2_type = 'CARD'
)

SELECT c.instance_id, t.store_idx, t.payment_slot AS slot
FROM tenders AS t
JOIN risk_compromised AS c
    ON c.store_idx = t.store_idx AND c.register = ticket_register(t.store_idx, t.slot, t.ordinal)
WHERE t.slot < risk_slot_base()
    AND EXISTS (
        SELECT 1 FROM transaction_events AS e WHERE e.store_idx = t.store_idx AND e.slot = t.payment_slot
    );

UPDATE transaction_events AS e
SET card_entry_mode = CASE WHEN draw(e.store_idx, e.slot, 'risk:fallback', 100) < 60 THEN 'SWIPE' ELSE 'MANUAL' END
FROM risk_compromised_payments AS p
WHERE e.store_idx = p.store_idx AND e.slot = p.slot;

INSERT INTO risk_truth BY NAME
SELECT 'compromised_terminal' AS pattern, instance_id, 'transaction' AS record_kind, store_idx, slot
FROM risk_compromised_payments;

DROP TABLE risk_compromised_payments;
DROP TABLE risk_compromised;
