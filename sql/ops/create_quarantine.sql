-- Dead letters: every landed record that did not load, with why and where it came from.
-- The payload is stored with card numbers masked and cut to 4 KiB; the segment and line point
-- at the original in the (access-controlled) landing zone.
CREATE TABLE IF NOT EXISTS ops.quarantine (
    source          VARCHAR NOT NULL,
    entity          VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    event_id        VARCHAR,
    reason_code     VARCHAR NOT NULL,
    reason_detail   VARCHAR NOT NULL,
    masked_payload  VARCHAR NOT NULL,
    payload_bytes   BIGINT NOT NULL,
    quarantined_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (segment_path, line_number)
);
COMMENT ON TABLE ops.quarantine IS 'Dead letters: landed records that were not loaded, and journals D365 rejected, one row per record, with a reason code. Conservation: landed = loaded + duplicates + quarantined (ops.partition_loads).';
COMMENT ON COLUMN ops.quarantine.reason_code IS 'invalid_encoding, malformed_json, oversized_record, card_number_detected, missing_event_id, schema_violation, invalid_amount, negative_amount, invalid_timestamp, stale_event (the webhook receiver accepted it outside its replay window); for dropped payroll files also payroll_missing_columns, payroll_malformed_row, invalid_date, unknown_item_class, unknown_check_type, ssn_detected, routing_number_detected, bank_account_detected, date_of_birth_detected (docs/payroll-intake.md); d365_rejected (D365 refused a journal; the payload is D365''s error body).';
COMMENT ON COLUMN ops.quarantine.reason_detail IS 'What was wrong and where, in words (field names, offending value with card numbers masked).';
COMMENT ON COLUMN ops.quarantine.masked_payload IS 'The landed line with card numbers masked to first6/last4, cut to 4096 characters; for a rejected journal, D365''s error body, cut the same way.';
COMMENT ON COLUMN ops.quarantine.source IS 'Where the record came from: heartland (a landed line), or d365 (a journal D365 rejected when posting).';
COMMENT ON COLUMN ops.quarantine.entity IS 'Raw entity of the line (payment_transactions, settlement_batches; Heartland Retail: tickets, items, customers, locations, payment_types, inventory_values), or the D365 line entity set of a rejected journal (LedgerJournalLines, CustomerPaymentJournalLines).';
COMMENT ON COLUMN ops.quarantine.business_date IS 'Business day the record was landed under, or of the rejected journal.';
COMMENT ON COLUMN ops.quarantine.segment_path IS 'Landing segment holding the original line (access-controlled); for a rejected journal d365://<legal entity>/<journal header entity set>/<idempotency key>.';
COMMENT ON COLUMN ops.quarantine.line_number IS 'Line in the segment, from 1; for a rejected journal the D365 line reported, 0 when none.';
COMMENT ON COLUMN ops.quarantine.event_id IS 'Event id, when one could be read from the line; NULL otherwise and for rejected journals.';
COMMENT ON COLUMN ops.quarantine.payload_bytes IS 'Size of the original line (or D365 error body) in bytes, before masking and cutting.';
COMMENT ON COLUMN ops.quarantine.quarantined_at IS 'When it was quarantined (UTC); a re-load of the day rewrites its rows.';
