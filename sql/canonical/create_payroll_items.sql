-- One row per register line of each pay run's current file (RUN_TOTAL lines excluded): employee ×
-- item class × item code × department, exact signed amounts (a void check's lines negative).
CREATE TABLE IF NOT EXISTS canonical.payroll_items (
    business_date       DATE NOT NULL,
    run_key             VARCHAR NOT NULL,
    legal_entity        VARCHAR,
    currency            VARCHAR,
    check_date          DATE NOT NULL,
    check_number        VARCHAR,
    check_type          VARCHAR NOT NULL,
    voided_check_number VARCHAR,
    employee_number     VARCHAR NOT NULL,
    division            VARCHAR,
    department_code     VARCHAR,
    job_code            VARCHAR,
    location_code       VARCHAR,
    item_class          VARCHAR NOT NULL,
    item_code           VARCHAR NOT NULL,
    item_description    VARCHAR,
    hours               DECIMAL(18, 4),
    amount              DECIMAL(18, 2) NOT NULL,
    event_id            VARCHAR NOT NULL,
    file_sha256         VARCHAR NOT NULL,
    file_row            BIGINT NOT NULL,
    segment_path        VARCHAR NOT NULL,
    line_number         BIGINT NOT NULL,
    bank_account_fingerprint VARCHAR
);
-- Added after the table first shipped, hence ALTER for warehouses that already have it.
ALTER TABLE canonical.payroll_items ADD COLUMN IF NOT EXISTS bank_account_fingerprint VARCHAR;
COMMENT ON TABLE canonical.payroll_items IS 'Payroll register items of each pay run''s current file version: employee × item class × item code × department, hours and exact signed amount (void checks negative), lineage to the landed line.';
COMMENT ON COLUMN canonical.payroll_items.business_date IS 'Check date. Source: raw.payroll_register(check_date)';
COMMENT ON COLUMN canonical.payroll_items.run_key IS 'Pay run: <client_id>|<pay_group>|<payroll_run_id>. Source: raw.payroll_register(client_id, pay_group, payroll_run_id)';
COMMENT ON COLUMN canonical.payroll_items.legal_entity IS 'D365 legal entity of the client (mappings/payroll_clients.csv). Source: raw.payroll_register(client_id)';
COMMENT ON COLUMN canonical.payroll_items.currency IS 'Payroll currency of the client (mappings/payroll_clients.csv). Source: raw.payroll_register(client_id)';
COMMENT ON COLUMN canonical.payroll_items.check_date IS 'Check date. Source: raw.payroll_register(check_date)';
COMMENT ON COLUMN canonical.payroll_items.check_number IS 'Check or voucher number. Source: raw.payroll_register(check_number)';
COMMENT ON COLUMN canonical.payroll_items.check_type IS 'regular, additional, manual or void. Source: raw.payroll_register(check_type)';
COMMENT ON COLUMN canonical.payroll_items.voided_check_number IS 'The earlier check a void reverses. Source: raw.payroll_register(voided_check_number)';
COMMENT ON COLUMN canonical.payroll_items.employee_number IS 'Heartland employee number (analysts see numbers, never names). Source: raw.payroll_register(employee_number)';
COMMENT ON COLUMN canonical.payroll_items.division IS 'Heartland division of the line. Source: raw.payroll_register(division)';
COMMENT ON COLUMN canonical.payroll_items.department_code IS 'Heartland department code of the line. Source: raw.payroll_register(department_code)';
COMMENT ON COLUMN canonical.payroll_items.job_code IS 'Job code. Source: raw.payroll_register(job_code)';
COMMENT ON COLUMN canonical.payroll_items.location_code IS 'Location (store id). Source: raw.payroll_register(location_code)';
COMMENT ON COLUMN canonical.payroll_items.item_class IS 'EARNING, EE_TAX, ER_TAX, EE_DEDUCTION, ER_BENEFIT or NET_PAY. Source: raw.payroll_register(item_class)';
COMMENT ON COLUMN canonical.payroll_items.item_code IS 'Item code. Source: raw.payroll_register(item_code)';
COMMENT ON COLUMN canonical.payroll_items.item_description IS 'Register description. Source: raw.payroll_register(item_description)';
COMMENT ON COLUMN canonical.payroll_items.hours IS 'Hours (earnings), signed like amount. Source: raw.payroll_register(hours)';
COMMENT ON COLUMN canonical.payroll_items.amount IS 'Exact amount, negative on a void check''s lines. Source: raw.payroll_register(amount, check_type)';
COMMENT ON COLUMN canonical.payroll_items.event_id IS 'Landed line the item came from. Source: raw.payroll_register(event_id)';
COMMENT ON COLUMN canonical.payroll_items.file_sha256 IS 'File version. Source: raw.payroll_register(file_sha256)';
COMMENT ON COLUMN canonical.payroll_items.file_row IS 'Row in the dropped file. Source: raw.payroll_register(file_row)';
COMMENT ON COLUMN canonical.payroll_items.segment_path IS 'Landing segment. Source: raw.payroll_register(segment_path)';
COMMENT ON COLUMN canonical.payroll_items.line_number IS 'Line in the segment. Source: raw.payroll_register(line_number)';
COMMENT ON COLUMN canonical.payroll_items.bank_account_fingerprint IS 'Keyed fingerprint of the employee''s direct-deposit account (fp + 16 hex; never the number): equal fingerprints, same account. NULL when the register carries none. Source: raw.payroll_register(bank_account_fingerprint)';
