-- Every file dropped in the payroll inbox (docs/payroll-intake.md), one row per file received,
-- from the file drop's manifest lines (landing/payroll_inbox/files): what became of it.
CREATE TABLE IF NOT EXISTS ops.payroll_files (
    business_date       DATE NOT NULL,
    event_id            VARCHAR NOT NULL,
    entity              VARCHAR NOT NULL,
    file_name           VARCHAR NOT NULL,
    file_sha256         VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    data_rows           BIGINT NOT NULL,
    partitions          DATE[] NOT NULL,
    unknown_columns     VARCHAR[] NOT NULL,
    missing_columns     VARCHAR[] NOT NULL,
    problem             VARCHAR,
    archived_to         VARCHAR NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL
);
COMMENT ON TABLE ops.payroll_files IS 'Every file dropped in the payroll inbox, one row per file received (a re-drop is a row of its own, status duplicate): how many rows it landed under which days, unknown and missing columns. Source: landing/payroll_inbox/files.';
COMMENT ON COLUMN ops.payroll_files.business_date IS 'Merchant''s date the file was picked up: the partition.';
COMMENT ON COLUMN ops.payroll_files.event_id IS 'PF_<first 16 hex of the sha256>_<status>[_<received_at> for duplicates].';
COMMENT ON COLUMN ops.payroll_files.entity IS 'Drop folder: payroll_register or bank_statement.';
COMMENT ON COLUMN ops.payroll_files.file_name IS 'Name the file was dropped under (card numbers and employee data masked).';
COMMENT ON COLUMN ops.payroll_files.file_sha256 IS 'SHA-256 of the file''s bytes: the same content dropped again is a duplicate.';
COMMENT ON COLUMN ops.payroll_files.status IS 'landed, duplicate (same content received before: not landed again), missing_columns (landed, every line quarantined naming them) or unreadable (not a UTF-8 CSV with a header: nothing landed).';
COMMENT ON COLUMN ops.payroll_files.data_rows IS 'Data rows landed from the file (0 for duplicates and unreadable files).';
COMMENT ON COLUMN ops.payroll_files.partitions IS 'Business days (check or booking dates) the rows landed under.';
COMMENT ON COLUMN ops.payroll_files.unknown_columns IS 'Export headers the column mapping does not name (their values land under payload.unmapped and are scanned).';
COMMENT ON COLUMN ops.payroll_files.missing_columns IS 'Required columns (our names) the export lacks.';
COMMENT ON COLUMN ops.payroll_files.problem IS 'Why an unreadable file could not be read (never its content).';
COMMENT ON COLUMN ops.payroll_files.archived_to IS 'Where the original was moved in the archive.';
COMMENT ON COLUMN ops.payroll_files.received_at IS 'When the file drop picked the file up (UTC).';
COMMENT ON COLUMN ops.payroll_files.segment_path IS 'Manifest segment the row was read from.';
COMMENT ON COLUMN ops.payroll_files.line_number IS 'Line of the manifest entry in its segment, from 1.';
