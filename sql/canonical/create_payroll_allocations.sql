-- Each payroll item charged to departments: the item's own department, a dated allocation from
-- mappings/payroll_allocations.csv, or hours worked per department. Cent-exact: an item's parts
-- sum to the item; the remainder cents go by largest remainder.
CREATE TABLE IF NOT EXISTS canonical.payroll_allocations (
    business_date       DATE NOT NULL,
    run_key             VARCHAR NOT NULL,
    legal_entity        VARCHAR,
    currency            VARCHAR,
    event_id            VARCHAR NOT NULL,
    employee_number     VARCHAR NOT NULL,
    item_class          VARCHAR NOT NULL,
    item_code           VARCHAR NOT NULL,
    department_code     VARCHAR,
    location_code       VARCHAR,
    division            VARCHAR,
    allocation_basis    VARCHAR NOT NULL,
    share               DECIMAL(18, 8) NOT NULL,
    amount              DECIMAL(18, 2) NOT NULL
);
COMMENT ON TABLE canonical.payroll_allocations IS 'Payroll items charged to departments (the journals are built from this): one row per item × department it is charged to. The parts of an item sum to its amount to the cent (largest-remainder rounding).';
COMMENT ON COLUMN canonical.payroll_allocations.business_date IS 'Check date. Source: canonical.payroll_items(business_date)';
COMMENT ON COLUMN canonical.payroll_allocations.run_key IS 'Pay run. Source: canonical.payroll_items(run_key)';
COMMENT ON COLUMN canonical.payroll_allocations.legal_entity IS 'D365 legal entity. Source: canonical.payroll_items(legal_entity)';
COMMENT ON COLUMN canonical.payroll_allocations.currency IS 'Payroll currency of the amount. Source: canonical.payroll_items(currency)';
COMMENT ON COLUMN canonical.payroll_allocations.event_id IS 'The item (landed line) allocated. Source: canonical.payroll_items(event_id)';
COMMENT ON COLUMN canonical.payroll_allocations.employee_number IS 'Employee. Source: canonical.payroll_items(employee_number)';
COMMENT ON COLUMN canonical.payroll_allocations.item_class IS 'Item class. Source: canonical.payroll_items(item_class)';
COMMENT ON COLUMN canonical.payroll_allocations.item_code IS 'Item code. Source: canonical.payroll_items(item_code)';
COMMENT ON COLUMN canonical.payroll_allocations.department_code IS 'Heartland department charged. Source: canonical.payroll_items(department_code)';
COMMENT ON COLUMN canonical.payroll_allocations.location_code IS 'Location charged. Source: canonical.payroll_items(location_code)';
COMMENT ON COLUMN canonical.payroll_allocations.division IS 'Division charged. Source: canonical.payroll_items(division)';
COMMENT ON COLUMN canonical.payroll_allocations.allocation_basis IS 'register_department (the line''s own department), allocation_file (mappings/payroll_allocations.csv, per employee or job, dated) or hours (hours worked per department in the run).';
COMMENT ON COLUMN canonical.payroll_allocations.share IS 'Fraction of the item charged here (the shares of an item sum to 1).';
COMMENT ON COLUMN canonical.payroll_allocations.amount IS 'Exact part of the item''s amount; the parts sum to the item. Source: canonical.payroll_items(amount)';
