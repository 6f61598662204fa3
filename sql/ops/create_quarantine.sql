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
COMMENT ON TABLE ops.quarantine IS 'Landed records that were not loaded, one row per record, with a reason code.';
COMMENT ON COLUMN ops.quarantine.reason_code IS 'invalid_encoding, malformed_json, oversized_record, card_number_detected, missing_event_id, schema_violation, invalid_amount, negative_amount, invalid_timestamp, stale_event (the webhook receiver accepted it outside its replay window).';
COMMENT ON COLUMN ops.quarantine.reason_detail IS 'What was wrong and where, in words (field names, offending value with card numbers masked).';
COMMENT ON COLUMN ops.quarantine.masked_payload IS 'The landed line with card numbers masked to first6/last4, cut to 4096 characters.';
