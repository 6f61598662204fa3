-- Bank statement lines as landed from a dropped statement file (issue 17: payroll funding), one
-- row per landed line, read through mappings/bank_statement_columns.csv. The account number never
-- lands here: only its last four digits.
CREATE TABLE IF NOT EXISTS raw.bank_statement_lines (
    business_date       DATE NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR,
    received_at         TIMESTAMPTZ NOT NULL,
    file_sha256         VARCHAR NOT NULL,
    file_name           VARCHAR NOT NULL,
    file_row            BIGINT NOT NULL,
    account_last4       VARCHAR,
    booking_date        DATE NOT NULL,
    value_date          DATE,
    currency            VARCHAR NOT NULL,
    amount              DECIMAL(18, 2) NOT NULL,
    bank_reference      VARCHAR,
    description         VARCHAR
);
COMMENT ON TABLE raw.bank_statement_lines IS 'Bank statement lines as landed from dropped statement files (entity bank/statement_lines), one row per landed line, partitioned by booking date; reconciliation matches payroll funding debits against them. Only the last four digits of the account number are kept.';
COMMENT ON COLUMN raw.bank_statement_lines.business_date IS 'Booking date of the line: the partition it belongs to.';
COMMENT ON COLUMN raw.bank_statement_lines.segment_path IS 'Landing segment the line was read from.';
COMMENT ON COLUMN raw.bank_statement_lines.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.bank_statement_lines.event_id IS 'BS_<first 16 hex of the file sha256>_<file row>: the same file dropped twice gives the same ids.';
COMMENT ON COLUMN raw.bank_statement_lines.event_type IS 'bank.statement_line.';
COMMENT ON COLUMN raw.bank_statement_lines.received_at IS 'When the file drop landed the line (UTC).';
COMMENT ON COLUMN raw.bank_statement_lines.file_sha256 IS 'SHA-256 of the dropped file''s bytes.';
COMMENT ON COLUMN raw.bank_statement_lines.file_name IS 'Name of the dropped file (without folders).';
COMMENT ON COLUMN raw.bank_statement_lines.file_row IS 'Data row of the line in its file, from 1.';
COMMENT ON COLUMN raw.bank_statement_lines.account_last4 IS 'Last four digits of the bank account the statement is for.';
COMMENT ON COLUMN raw.bank_statement_lines.booking_date IS 'Date the bank booked the line.';
COMMENT ON COLUMN raw.bank_statement_lines.value_date IS 'Value date, when the statement has one.';
COMMENT ON COLUMN raw.bank_statement_lines.currency IS 'ISO currency of the amount.';
COMMENT ON COLUMN raw.bank_statement_lines.amount IS 'Signed exact amount: a debit (money out, e.g. payroll funding) is negative.';
COMMENT ON COLUMN raw.bank_statement_lines.bank_reference IS 'The bank''s reference for the line (for payroll funding, the processor''s reference naming the pay run when it has one).';
COMMENT ON COLUMN raw.bank_statement_lines.description IS 'Statement text (free text: scanned like every field).';
