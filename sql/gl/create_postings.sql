-- Every attempt to post a journal to D365 and its outcome, one row per attempt.
CREATE TABLE IF NOT EXISTS gl.postings (
    attempt_id                  VARCHAR PRIMARY KEY,
    business_date               DATE NOT NULL,
    journal_key                 VARCHAR NOT NULL,
    legal_entity                VARCHAR NOT NULL,
    currency                    VARCHAR NOT NULL,
    journal_kind                VARCHAR,
    sequence                    INTEGER,
    idempotency_key             VARCHAR,
    lines                       BIGINT,
    debit_total                 DECIMAL(18, 2),
    status                      VARCHAR NOT NULL,
    d365_journal_batch_number   VARCHAR,
    started_at                  TIMESTAMPTZ NOT NULL,
    finished_at                 TIMESTAMPTZ,
    detail                      VARCHAR
);
COMMENT ON TABLE gl.postings IS 'Each attempt to post a journal to D365: key, D365 journal batch number, status, timestamps and error.';
COMMENT ON COLUMN gl.postings.attempt_id IS 'One attempt.';
COMMENT ON COLUMN gl.postings.business_date IS 'Business day of the journal.';
COMMENT ON COLUMN gl.postings.journal_key IS 'The journal in gl.journal_lines (legal entity, day, currency).';
COMMENT ON COLUMN gl.postings.legal_entity IS 'D365 company (dataAreaId).';
COMMENT ON COLUMN gl.postings.currency IS 'Transaction currency of the journal.';
COMMENT ON COLUMN gl.postings.journal_kind IS 'daily (the first posting of the journal) or adjustment (a later difference); NULL when blocked.';
COMMENT ON COLUMN gl.postings.sequence IS '0 for the daily journal, 1, 2, … for its adjustments.';
COMMENT ON COLUMN gl.postings.idempotency_key IS 'Deterministic key in the D365 header''s Description: legal entity, day, currency, sequence, content hash.';
COMMENT ON COLUMN gl.postings.lines IS 'Lines sent (without the base-currency rounding line).';
COMMENT ON COLUMN gl.postings.debit_total IS 'Debits of the lines sent, transaction currency.';
COMMENT ON COLUMN gl.postings.status IS 'sending (in flight, or the run stopped), posted, already_in_d365 (found by its key: not created twice), dead_lettered (D365 rejected it; see ops.quarantine), failed (D365 unreachable; retried next run), blocked (blocking checks failed).';
COMMENT ON COLUMN gl.postings.d365_journal_batch_number IS 'D365 JournalBatchNumber of the journal.';
COMMENT ON COLUMN gl.postings.started_at IS 'When the attempt began.';
COMMENT ON COLUMN gl.postings.finished_at IS 'When its outcome was recorded; NULL while sending.';
COMMENT ON COLUMN gl.postings.detail IS 'D365''s error, or why the journal is held back.';
