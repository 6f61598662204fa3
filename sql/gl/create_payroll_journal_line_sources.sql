-- Lineage of the payroll journals: which allocated payroll items make up each line.
CREATE TABLE IF NOT EXISTS gl.payroll_journal_line_sources (
    business_date       DATE NOT NULL,
    journal_key         VARCHAR NOT NULL,
    line_key            VARCHAR NOT NULL,
    run_key             VARCHAR NOT NULL,
    event_id            VARCHAR NOT NULL,
    employee_number     VARCHAR NOT NULL,
    item_class          VARCHAR NOT NULL,
    item_code           VARCHAR NOT NULL,
    side                VARCHAR NOT NULL,
    department_code     VARCHAR,
    location_code       VARCHAR,
    amount              DECIMAL(18, 2) NOT NULL
);
COMMENT ON TABLE gl.payroll_journal_line_sources IS 'Every payroll journal line''s allocated items (canonical.payroll_allocations) and what each contributed: join on line_key to see what is in a line.';
COMMENT ON COLUMN gl.payroll_journal_line_sources.business_date IS 'Check date. Source: canonical.payroll_allocations(business_date)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.journal_key IS 'The journal (gl.payroll_journal_lines.journal_key).';
COMMENT ON COLUMN gl.payroll_journal_line_sources.line_key IS 'The line (gl.payroll_journal_lines.line_key).';
COMMENT ON COLUMN gl.payroll_journal_line_sources.run_key IS 'Pay run. Source: canonical.payroll_allocations(run_key)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.event_id IS 'The register line (item) allocated. Source: canonical.payroll_allocations(event_id)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.employee_number IS 'Employee number (never a name). Source: canonical.payroll_allocations(employee_number)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.item_class IS 'Item class. Source: canonical.payroll_allocations(item_class)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.item_code IS 'Item code. Source: canonical.payroll_allocations(item_code)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.side IS 'debit or credit: the side of the item this row books (employer taxes and benefits book both).';
COMMENT ON COLUMN gl.payroll_journal_line_sources.department_code IS 'Heartland department charged. Source: canonical.payroll_allocations(department_code)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.location_code IS 'Location charged (store id or HQ). Source: canonical.payroll_allocations(location_code)';
COMMENT ON COLUMN gl.payroll_journal_line_sources.amount IS 'Signed contribution (positive debit); a line''s sources sum to its amount. Source: canonical.payroll_allocations(amount)';
