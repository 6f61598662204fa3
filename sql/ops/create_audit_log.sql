-- Security-relevant events. Keyed deterministically so re-running a day never doubles an entry.
CREATE TABLE IF NOT EXISTS ops.audit_log (
    audit_id        VARCHAR PRIMARY KEY,
    logged_at       TIMESTAMPTZ NOT NULL,
    action          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    entity          VARCHAR NOT NULL,
    business_date   DATE NOT NULL,
    segment_path    VARCHAR NOT NULL,
    line_number     BIGINT NOT NULL,
    detail          VARCHAR NOT NULL
);
COMMENT ON TABLE ops.audit_log IS 'Security events such as a blocked card number; never holds an unmasked PAN.';
COMMENT ON COLUMN ops.audit_log.audit_id IS 'Deterministic id (a hash of action, segment and line), so re-running a day never doubles an entry.';
COMMENT ON COLUMN ops.audit_log.logged_at IS 'When the pipeline first logged it (UTC).';
COMMENT ON COLUMN ops.audit_log.action IS 'What the pipeline did: card_number_blocked (a landed record carrying a full card number was quarantined masked); ssn_blocked, routing_number_blocked, bank_account_blocked, date_of_birth_blocked (a payroll or bank line carrying that employee data was quarantined masked).';
COMMENT ON COLUMN ops.audit_log.source IS 'Landing source of the record (heartland).';
COMMENT ON COLUMN ops.audit_log.entity IS 'Entity of the record (payment_transactions, settlement_batches, or a Heartland Retail entity such as tickets).';
COMMENT ON COLUMN ops.audit_log.business_date IS 'Business day the record was landed under.';
COMMENT ON COLUMN ops.audit_log.segment_path IS 'Landing segment holding the original record (access-controlled; the warehouse keeps only the masked copy in ops.quarantine).';
COMMENT ON COLUMN ops.audit_log.line_number IS 'Line of the record in its segment, from 1.';
COMMENT ON COLUMN ops.audit_log.detail IS 'What was found, card numbers masked to first6/last4, SSNs and bank numbers to their last four.';
