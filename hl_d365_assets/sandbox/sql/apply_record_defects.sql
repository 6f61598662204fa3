-- Apply the chosen record defects to the day's tables and say in `detail` what was done.
-- Lines hit by duplicate_delivery, late_event or malformed_json are marked in delivery_defect;
-- delivery.py lands them differently.

UPDATE defects AS d
SET
    event_id = transaction_event_id(d.store_idx, d.slot, transaction_status(e.kind, d.ordinal)),
    business_key = trn_id(d.store_idx, d.slot)
FROM transaction_events AS e
WHERE d.entity = 'payment_transactions'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

-- A ticket's event id and key are the Heartland Retail ones, known once its documents are
-- rendered (select_ground_truth.sql).

-- gateway_transaction_without_tender: the POS never uploaded the ticket.
UPDATE defects AS d
SET detail = 'ticket ' || ticket_id_text(st.store_id, d.group_seq) || ' was never uploaded to Heartland Retail, so reference '
    || ticket_id_text(st.store_id, d.group_seq) || '-T1 matches no tender'
FROM stores AS st
WHERE d.kind = 'gateway_transaction_without_tender' AND st.store_idx = d.store_idx;

DELETE FROM tickets AS t
USING defects AS d
WHERE d.kind = 'gateway_transaction_without_tender'
    AND t.store_idx = d.store_idx AND t.slot = d.related_slot AND t.ordinal = 1;

-- tender_without_gateway_transaction: the gateway never captured the card payment.
UPDATE defects
SET detail = 'gateway_transaction_id ' || trn_id(store_idx, related_slot)
    || ' was never landed and is in no settlement batch'
WHERE kind = 'tender_without_gateway_transaction';

DELETE FROM transaction_events AS e
USING defects AS d
WHERE d.kind = 'tender_without_gateway_transaction'
    AND e.store_idx = d.store_idx AND e.slot = d.related_slot;

-- unknown_payment_type: a cash tender reported as CRYPTO.
UPDATE tickets AS t
SET t1_type = 'CRYPTO'
FROM defects AS d
WHERE d.kind = 'unknown_payment_type'
    AND t.store_idx = d.store_idx AND t.slot = d.slot AND t.ordinal = d.ordinal;

UPDATE defects
SET detail = 'its cash payment has the payment type Crypto, which no mapping knows'
WHERE kind = 'unknown_payment_type';

-- negative_amount: the sign leaks into the amount string.
UPDATE transaction_events AS e
SET amount_sign = '-'
FROM defects AS d
WHERE d.kind = 'negative_amount'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

UPDATE defects AS d
SET detail = 'amount "-' || e.amount || '" (the captured amount is ' || e.amount || ')'
FROM transaction_events AS e
WHERE d.kind = 'negative_amount'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

-- card_number_in_free_text: a test PAN typed into a free-text field.
UPDATE transaction_events AS e
SET description = free_text_with_pan(d.pick)
FROM defects AS d
WHERE d.kind = 'card_number_in_free_text' AND d.entity = 'payment_transactions'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

UPDATE tickets AS t
SET note = free_text_with_pan(d.pick)
FROM defects AS d
WHERE d.kind = 'card_number_in_free_text' AND d.entity = 'tickets'
    AND t.store_idx = d.store_idx AND t.slot = d.slot AND t.ordinal = d.ordinal;

UPDATE defects
SET detail = free_text_pan_label(pick) || ' in payload.'
    || CASE entity WHEN 'payment_transactions' THEN 'description' ELSE 'custom.note' END
WHERE kind = 'card_number_in_free_text';

-- late_event: delivered 18-48 hours late, so on the next local day or later.
UPDATE transaction_events AS e
SET received_ms = e.received_ms + late_delay_ms(d.pick)
FROM defects AS d
WHERE d.kind = 'late_event' AND d.entity = 'payment_transactions'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

UPDATE tickets AS t
SET uploaded_local_ms = t.uploaded_local_ms + late_delay_ms(d.pick)
FROM defects AS d
WHERE d.kind = 'late_event' AND d.entity = 'tickets'
    AND t.store_idx = d.store_idx AND t.slot = d.slot AND t.ordinal = d.ordinal;

UPDATE defects AS d
SET detail = 'received_at ' || utc_text(e.received_ms) || ', landed in a later segment'
FROM transaction_events AS e
WHERE d.kind = 'late_event' AND d.entity = 'payment_transactions'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

UPDATE defects AS d
SET detail = 'received_at ' || utc_text(st.midnight_ms - st.offset_ms + t.uploaded_local_ms)
    || ', landed in a later segment'
FROM tickets AS t
JOIN stores AS st USING (store_idx)
WHERE d.kind = 'late_event' AND d.entity = 'tickets'
    AND t.store_idx = d.store_idx AND t.slot = d.slot AND t.ordinal = d.ordinal;

UPDATE defects
SET detail = 'the same line landed again in a later segment'
WHERE kind = 'duplicate_delivery';

-- currency_mismatch: the transaction says the other currency; ticket, batch and store do not.
UPDATE transaction_events AS e
SET currency = CASE st.currency WHEN 'USD' THEN 'CAD' ELSE 'USD' END
FROM defects AS d
JOIN stores AS st USING (store_idx)
WHERE d.kind = 'currency_mismatch'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

UPDATE defects AS d
SET detail = 'currency ' || e.currency || ' on a capture of store ' || st.store_id || ' ('
    || st.currency || '), settled in its ' || st.currency || ' batch ' || st.batch_id
FROM transaction_events AS e, stores AS st
WHERE d.kind = 'currency_mismatch' AND st.store_idx = d.store_idx
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

-- duplicate_capture: the same capture again, two seconds later, under a new transaction id with
-- the same reference and amount; it is settled too. The ground truth names the copy.
INSERT INTO transaction_events BY NAME
SELECT e.* REPLACE (
    d.related_slot AS slot,
    e.created_ms + 2000 AS created_ms,
    e.updated_ms + 2000 AS updated_ms,
    e.received_ms + 2000 AS received_ms
)
FROM transaction_events AS e
JOIN defects AS d
    ON d.kind = 'duplicate_capture' AND e.store_idx = d.store_idx AND e.slot = d.slot
    AND e.event_no = d.ordinal;

UPDATE defects AS d
SET
    event_id = transaction_event_id(d.store_idx, d.related_slot, transaction_status(e.kind, d.ordinal)),
    business_key = trn_id(d.store_idx, d.related_slot),
    detail = 'captured again as ' || trn_id(d.store_idx, d.related_slot) || ' with the reference and amount of '
        || trn_id(d.store_idx, d.slot)
FROM transaction_events AS e
WHERE d.kind = 'duplicate_capture'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

-- refund_exceeds_sale: the refund names a smaller sale as its parent.
UPDATE defects AS d
SET detail = 'parent_resource_id ' || trn_id(d.store_idx, d.related_slot) || ' is a sale of ' || s.amount
    || ' minor units; the refund is ' || r.amount
FROM transaction_events AS r, transaction_events AS s
WHERE d.kind = 'refund_exceeds_sale'
    AND r.store_idx = d.store_idx AND r.slot = d.slot AND r.event_no = d.ordinal
    AND s.store_idx = d.store_idx AND s.slot = d.related_slot AND s.event_no = 1;

UPDATE transaction_events AS e
SET original_slot = d.related_slot
FROM defects AS d
WHERE d.kind = 'refund_exceeds_sale'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

-- Lines landed differently.
UPDATE transaction_events AS e
SET delivery_defect = d.kind
FROM defects AS d
WHERE d.kind IN ('duplicate_delivery', 'late_event', 'malformed_json') AND d.entity = 'payment_transactions'
    AND e.store_idx = d.store_idx AND e.slot = d.slot AND e.event_no = d.ordinal;

UPDATE tickets AS t
SET delivery_defect = d.kind
FROM defects AS d
WHERE d.kind IN ('duplicate_delivery', 'late_event', 'malformed_json') AND d.entity = 'tickets'
    AND t.store_idx = d.store_idx AND t.slot = d.slot AND t.ordinal = d.ordinal;
