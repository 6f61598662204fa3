-- Heartland payroll register lines as landed from a dropped export file (issue 17), one row per
-- landed line: the file was read through mappings/payroll_register_columns.csv, so the columns
-- are ours whatever the export called them. Names, SSNs, bank and routing numbers and dates of
-- birth never reach this table: a line carrying one is quarantined, masked.
CREATE TABLE IF NOT EXISTS raw.payroll_register (
    business_date       DATE NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR,
    received_at         TIMESTAMPTZ NOT NULL,
    file_sha256         VARCHAR NOT NULL,
    file_name           VARCHAR NOT NULL,
    file_row            BIGINT NOT NULL,
    client_id           VARCHAR NOT NULL,
    pay_group           VARCHAR NOT NULL,
    payroll_run_id      VARCHAR NOT NULL,
    period_begin        DATE,
    period_end          DATE,
    check_date          DATE NOT NULL,
    check_number        VARCHAR,
    check_type          VARCHAR NOT NULL,
    voided_check_number VARCHAR,
    employee_number     VARCHAR,
    division            VARCHAR,
    department_code     VARCHAR,
    job_code            VARCHAR,
    location_code       VARCHAR,
    item_class          VARCHAR NOT NULL,
    item_code           VARCHAR NOT NULL,
    item_description    VARCHAR,
    hours               DECIMAL(18, 4),
    amount              DECIMAL(18, 2) NOT NULL,
    bank_account_fingerprint VARCHAR
);
-- Added after the table first shipped, hence ALTER for warehouses that already have it.
ALTER TABLE raw.payroll_register ADD COLUMN IF NOT EXISTS bank_account_fingerprint VARCHAR;
COMMENT ON TABLE raw.payroll_register IS 'Heartland payroll register lines as landed from dropped export files (entity heartland_payroll/register), one row per landed line, partitioned by check date. Columns are ours: the export was read through mappings/payroll_register_columns.csv. Employee names and every SSN, bank/routing number and date of birth stay out (a line holding one is quarantined, masked).';
COMMENT ON COLUMN raw.payroll_register.business_date IS 'Check date of the pay run: the partition the line belongs to.';
COMMENT ON COLUMN raw.payroll_register.segment_path IS 'Landing segment the line was read from.';
COMMENT ON COLUMN raw.payroll_register.line_number IS 'Line of the event in its segment, from 1.';
COMMENT ON COLUMN raw.payroll_register.event_id IS 'HP_<first 16 hex of the file sha256>_<file row>: the same file dropped twice gives the same ids, counted as duplicates.';
COMMENT ON COLUMN raw.payroll_register.event_type IS 'heartland_payroll.register_line.';
COMMENT ON COLUMN raw.payroll_register.received_at IS 'When the file drop landed the line (UTC).';
COMMENT ON COLUMN raw.payroll_register.file_sha256 IS 'SHA-256 of the dropped file''s bytes: which version of a pay run the line came from.';
COMMENT ON COLUMN raw.payroll_register.file_name IS 'Name of the dropped file (without folders).';
COMMENT ON COLUMN raw.payroll_register.file_row IS 'Data row of the line in its file, from 1 (the header row is not counted).';
COMMENT ON COLUMN raw.payroll_register.client_id IS 'Heartland Payroll client id (8 characters): which company, so which D365 legal entity (mappings/payroll_clients.csv).';
COMMENT ON COLUMN raw.payroll_register.pay_group IS 'Pay group of the run (e.g. WEEKLY, SEMIMONTHLY).';
COMMENT ON COLUMN raw.payroll_register.payroll_run_id IS 'The pay run as the register names it (process date and check date); with client_id and pay_group the run key.';
COMMENT ON COLUMN raw.payroll_register.period_begin IS 'First day of the pay period.';
COMMENT ON COLUMN raw.payroll_register.period_end IS 'Last day of the pay period.';
COMMENT ON COLUMN raw.payroll_register.check_date IS 'Check (pay) date: the journal''s TransDate.';
COMMENT ON COLUMN raw.payroll_register.check_number IS 'Check or direct-deposit voucher number of the employee''s pay in this run.';
COMMENT ON COLUMN raw.payroll_register.check_type IS 'regular, additional, manual or void (a void reverses the check named in voided_check_number).';
COMMENT ON COLUMN raw.payroll_register.voided_check_number IS 'On a void line: the check of an earlier run it reverses.';
COMMENT ON COLUMN raw.payroll_register.employee_number IS 'Heartland employee (file) number; NULL on run-total lines.';
COMMENT ON COLUMN raw.payroll_register.division IS 'Employee''s division for this line.';
COMMENT ON COLUMN raw.payroll_register.department_code IS 'Heartland department code of the line (mapped to the D365 Department dimension by mappings/payroll_departments.csv).';
COMMENT ON COLUMN raw.payroll_register.job_code IS 'Heartland job code.';
COMMENT ON COLUMN raw.payroll_register.location_code IS 'Heartland location code: our store id (S001…).';
COMMENT ON COLUMN raw.payroll_register.item_class IS 'EARNING, EE_TAX, ER_TAX, EE_DEDUCTION, ER_BENEFIT, NET_PAY, or RUN_TOTAL (the register''s own total of a class, item_code naming the class).';
COMMENT ON COLUMN raw.payroll_register.item_code IS 'Earning, tax, deduction or benefit code (01 regular, 02 overtime, FICA-SS, 401K, …).';
COMMENT ON COLUMN raw.payroll_register.item_description IS 'The register''s description of the item (free text: scanned like every field).';
COMMENT ON COLUMN raw.payroll_register.hours IS 'Hours of an earning line; NULL for other classes.';
COMMENT ON COLUMN raw.payroll_register.amount IS 'Amount as the register prints it: exact DECIMAL, positive; the GL mapping gives the sign (a void''s sign is applied in canonical).';
COMMENT ON COLUMN raw.payroll_register.bank_account_fingerprint IS 'Keyed fingerprint of the employee''s direct-deposit bank account: fp + 16 hex of HMAC-SHA256 under HL_D365_FINGERPRINT_KEY, computed when the file was read (mapping format fingerprint); equal accounts give equal fingerprints, the number itself never lands. NULL when the export has no such column. Read from the export column mapped to bank_account_fingerprint in mappings/payroll_register_columns.csv.';
