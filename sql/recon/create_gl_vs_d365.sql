-- What D365 holds against what we meant to post: per journal and account, read back from D365
-- after posting. Replaced per business day.
CREATE TABLE IF NOT EXISTS recon.gl_vs_d365 (
    business_date           DATE NOT NULL,
    journal_key             VARCHAR NOT NULL,
    account_display_value   VARCHAR NOT NULL,
    currency                VARCHAR NOT NULL,
    journal_amount          DECIMAL(18, 2),
    d365_amount             DECIMAL(18, 2),
    difference              DECIMAL(18, 2) NOT NULL,
    d365_journals           VARCHAR,
    status                  VARCHAR NOT NULL,
    read_at                 TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE recon.gl_vs_d365 IS 'Journal lines we built (gl.journal_lines) against the lines D365 holds under our keys, per account; differences become recon.exceptions.';
COMMENT ON COLUMN recon.gl_vs_d365.business_date IS 'Business day.';
COMMENT ON COLUMN recon.gl_vs_d365.journal_key IS 'The journal (legal entity, day, currency).';
COMMENT ON COLUMN recon.gl_vs_d365.account_display_value IS 'D365 AccountDisplayValue of a general journal line, or Cust <customer account> for the customer payment journal''s lines of that customer.';
COMMENT ON COLUMN recon.gl_vs_d365.currency IS 'Transaction currency.';
COMMENT ON COLUMN recon.gl_vs_d365.journal_amount IS 'Signed amount in gl.journal_lines now (NULL: no such line).';
COMMENT ON COLUMN recon.gl_vs_d365.d365_amount IS 'Signed sum of the D365 lines on the account across the day''s journals and adjustments (NULL: none).';
COMMENT ON COLUMN recon.gl_vs_d365.difference IS 'd365_amount - journal_amount.';
COMMENT ON COLUMN recon.gl_vs_d365.d365_journals IS 'D365 journal batch numbers read.';
COMMENT ON COLUMN recon.gl_vs_d365.status IS 'matched, difference, missing_in_d365, not_in_journal.';
COMMENT ON COLUMN recon.gl_vs_d365.read_at IS 'When D365 was read.';
