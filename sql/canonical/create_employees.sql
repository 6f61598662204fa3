-- Employees as payroll and D365 know them: numbers and organisation defaults, never names, SSNs,
-- bank details or birth dates. Rebuilt whole from raw.payroll_register and raw.d365_employees.
CREATE TABLE IF NOT EXISTS canonical.employees (
    employee_number         VARCHAR NOT NULL,
    legal_entity            VARCHAR,
    default_division        VARCHAR,
    default_department      VARCHAR,
    default_job             VARCHAR,
    default_location        VARCHAR,
    first_check_date        DATE,
    last_check_date         DATE,
    d365_personnel_number   VARCHAR,
    d365_department         VARCHAR,
    d365_employment_start   DATE,
    d365_employment_end     DATE,
    d365_termination_date   DATE,
    sources                 VARCHAR NOT NULL
);
COMMENT ON TABLE canonical.employees IS 'Employees by number (never by name): their default division, department, job and location from the newest payroll register line, and their D365 employment (EmployeesV2: personnel number, Department from DimensionDisplayValue, start, end, termination) where D365 holds them.';
COMMENT ON COLUMN canonical.employees.employee_number IS 'Heartland employee number. Source: raw.payroll_register(employee_number)';
COMMENT ON COLUMN canonical.employees.legal_entity IS 'D365 legal entity. Source: raw.payroll_register(client_id)';
COMMENT ON COLUMN canonical.employees.default_division IS 'Division on the newest register line. Source: raw.payroll_register(division)';
COMMENT ON COLUMN canonical.employees.default_department IS 'Department on the newest register line. Source: raw.payroll_register(department_code)';
COMMENT ON COLUMN canonical.employees.default_job IS 'Job on the newest register line. Source: raw.payroll_register(job_code)';
COMMENT ON COLUMN canonical.employees.default_location IS 'Location on the newest register line. Source: raw.payroll_register(location_code)';
COMMENT ON COLUMN canonical.employees.first_check_date IS 'First check date the employee was paid. Source: raw.payroll_register(check_date)';
COMMENT ON COLUMN canonical.employees.last_check_date IS 'Last check date the employee was paid. Source: raw.payroll_register(check_date)';
COMMENT ON COLUMN canonical.employees.d365_personnel_number IS 'D365 PersonnelNumber (EmployeesV2), matched on the employee number.';
COMMENT ON COLUMN canonical.employees.d365_department IS 'Department segment of the D365 employment''s DimensionDisplayValue.';
COMMENT ON COLUMN canonical.employees.d365_employment_start IS 'D365 EmploymentStartDate.';
COMMENT ON COLUMN canonical.employees.d365_employment_end IS 'D365 EmploymentEndDate.';
COMMENT ON COLUMN canonical.employees.d365_termination_date IS 'D365 TerminationDate.';
COMMENT ON COLUMN canonical.employees.sources IS 'register, d365 or register+d365.';
