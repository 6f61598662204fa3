-- What D365 holds from us, line by line: the base for adjustments and the read-back.
CREATE TABLE IF NOT EXISTS gl.posted_lines (
    idempotency_key             VARCHAR NOT NULL,
    business_date               DATE NOT NULL,
    journal_key                 VARCHAR NOT NULL,
    legal_entity                VARCHAR NOT NULL,
    currency                    VARCHAR NOT NULL,
    sequence                    INTEGER NOT NULL,
    d365_journal_batch_number   VARCHAR NOT NULL,
    d365_line_number            BIGINT NOT NULL,
    line_key                    VARCHAR,
    account_display_value       VARCHAR NOT NULL,
    amount                      DECIMAL(18, 2) NOT NULL,
    posted_at                   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (idempotency_key, d365_line_number)
);
COMMENT ON TABLE gl.posted_lines IS 'Every journal line posted to D365 (rounding lines aside), by journal and line number.';
COMMENT ON COLUMN gl.posted_lines.idempotency_key IS 'Key of the D365 journal (gl.postings).';
COMMENT ON COLUMN gl.posted_lines.business_date IS 'Business day.';
COMMENT ON COLUMN gl.posted_lines.journal_key IS 'The journal in gl.journal_lines.';
COMMENT ON COLUMN gl.posted_lines.legal_entity IS 'D365 company.';
COMMENT ON COLUMN gl.posted_lines.currency IS 'Transaction currency.';
COMMENT ON COLUMN gl.posted_lines.sequence IS '0 daily journal, 1+ adjustments.';
COMMENT ON COLUMN gl.posted_lines.d365_journal_batch_number IS 'D365 JournalBatchNumber.';
COMMENT ON COLUMN gl.posted_lines.d365_line_number IS 'D365 LineNumber.';
COMMENT ON COLUMN gl.posted_lines.line_key IS 'gl.journal_lines line posted (NULL for an adjustment of a line that no longer exists).';
COMMENT ON COLUMN gl.posted_lines.account_display_value IS 'D365 AccountDisplayValue.';
COMMENT ON COLUMN gl.posted_lines.amount IS 'Signed amount posted (debit positive), transaction currency.';
COMMENT ON COLUMN gl.posted_lines.posted_at IS 'When it was recorded.';
