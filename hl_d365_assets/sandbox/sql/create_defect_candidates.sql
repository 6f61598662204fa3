-- candidates_<kind>: the records each defect kind may hit, as
-- (entity, store_idx, slot, ordinal, group_seq, related_slot); see create_defects.sql.

CREATE OR REPLACE VIEW transaction_event_candidates AS
SELECT
    'payment_transactions' AS entity,
    store_idx,
    slot,
    event_no AS ordinal,
    ticket_seq AS group_seq,
    NULL::BIGINT AS related_slot
FROM transaction_events;

CREATE OR REPLACE VIEW ticket_candidates AS
SELECT
    'tickets' AS entity,
    store_idx,
    slot,
    ordinal,
    ticket_seq AS group_seq,
    NULL::BIGINT AS related_slot
FROM tickets;

-- Card-only sales nobody returned: losing one side of them breaks nothing else.
CREATE OR REPLACE VIEW unrefunded_card_sales AS
SELECT sale.store_idx, sale.slot
FROM slots AS sale
ANTI JOIN slots AS refund
    ON refund.kind = 'refund' AND refund.store_idx = sale.store_idx AND refund.original_slot = sale.slot
WHERE sale.kind = 'sale' AND sale.mix = 'CARD';

-- The captured sale stays; its ticket (related_slot, ordinal 1) is dropped.
CREATE OR REPLACE VIEW candidates_gateway_transaction_without_tender AS
SELECT
    'payment_transactions' AS entity,
    e.store_idx,
    e.slot,
    e.event_no AS ordinal,
    e.ticket_seq AS group_seq,
    e.slot AS related_slot
FROM transaction_events AS e
SEMI JOIN unrefunded_card_sales AS u USING (store_idx, slot);

-- The ticket stays; the gateway transaction of its card tender (related_slot) is dropped.
CREATE OR REPLACE VIEW candidates_tender_without_gateway_transaction AS
SELECT
    'tickets' AS entity,
    t.store_idx,
    t.slot,
    t.ordinal,
    t.ticket_seq AS group_seq,
    t.t1_slot AS related_slot
FROM tickets AS t
SEMI JOIN unrefunded_card_sales AS u USING (store_idx, slot)
WHERE t.ordinal = 1;

CREATE OR REPLACE VIEW candidates_unknown_payment_type AS
SELECT * FROM ticket_candidates
WHERE ordinal = 0;

CREATE OR REPLACE VIEW candidates_negative_amount AS
SELECT
    'payment_transactions' AS entity,
    store_idx,
    slot,
    event_no AS ordinal,
    ticket_seq AS group_seq,
    NULL::BIGINT AS related_slot
FROM transaction_events
WHERE event_no = 1 AND final_status = 'CAPTURED' AND kind <> 'refund';

CREATE OR REPLACE VIEW candidates_card_number_in_free_text AS
SELECT * FROM transaction_event_candidates
UNION ALL
SELECT * FROM ticket_candidates;

CREATE OR REPLACE VIEW candidates_malformed_json AS
SELECT * FROM transaction_event_candidates
UNION ALL
SELECT * FROM ticket_candidates;

CREATE OR REPLACE VIEW candidates_late_event AS
SELECT * FROM transaction_event_candidates
UNION ALL
SELECT * FROM ticket_candidates;

CREATE OR REPLACE VIEW candidates_duplicate_delivery AS
SELECT * FROM transaction_event_candidates
UNION ALL
SELECT * FROM ticket_candidates;

-- currency_mismatch: a captured card-only sale whose currency field names the other currency of
-- the sandbox; its ticket, batch and store stay in the store's currency.
CREATE OR REPLACE VIEW candidates_currency_mismatch AS
SELECT
    'payment_transactions' AS entity,
    e.store_idx,
    e.slot,
    e.event_no AS ordinal,
    e.ticket_seq AS group_seq,
    NULL::BIGINT AS related_slot
FROM transaction_events AS e
SEMI JOIN unrefunded_card_sales AS u USING (store_idx, slot)
WHERE e.event_no = 1;

-- duplicate_capture: a captured card-only sale captured a second time, under a new transaction
-- id with the same reference and amount (related_slot: the copy's slot).
CREATE OR REPLACE VIEW candidates_duplicate_capture AS
SELECT
    'payment_transactions' AS entity,
    e.store_idx,
    e.slot,
    e.event_no AS ordinal,
    e.ticket_seq AS group_seq,
    e.slot + 1000000 AS related_slot
FROM transaction_events AS e
SEMI JOIN unrefunded_card_sales AS u USING (store_idx, slot)
WHERE e.event_no = 1;

-- refund_exceeds_sale: a refund whose parent_resource_id is re-pointed to an earlier captured
-- sale of the store smaller than the refund (related_slot: the nearest such sale). Chosen after
-- every other record kind, so the sale it names is hit by no defect that could hide it.
CREATE OR REPLACE VIEW candidates_refund_exceeds_sale AS
SELECT
    'payment_transactions' AS entity,
    r.store_idx,
    r.slot,
    r.event_no AS ordinal,
    r.ticket_seq AS group_seq,
    max(s.slot) AS related_slot
FROM transaction_events AS r
JOIN transaction_events AS s
    ON s.store_idx = r.store_idx AND s.slot < r.slot AND s.amount < r.amount
    AND s.kind = 'sale' AND s.event_no = 1 AND s.final_status = 'CAPTURED'
ANTI JOIN defects AS d ON d.store_idx = s.store_idx AND d.group_seq = s.ticket_seq
WHERE r.kind = 'refund' AND r.event_no = 1 AND r.final_status = 'CAPTURED'
GROUP BY ALL;
