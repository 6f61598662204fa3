-- ref.payroll_allocations from mappings/payroll_allocations.csv ($dir: the mappings folder).
-- Finance's dated splits of an employee's (or a job's) pay across departments.
CREATE OR REPLACE TABLE ref.payroll_allocations AS
SELECT lower(trim(basis_type)) AS basis_type, upper(trim(basis_value)) AS basis_value,
       nullif(trim(department_code), '') AS department_code,
       nullif(trim(location_code), '') AS location_code, percent, valid_from
FROM read_csv($dir || '/payroll_allocations.csv', header = true, columns = {
    'basis_type': 'VARCHAR', 'basis_value': 'VARCHAR', 'department_code': 'VARCHAR',
    'location_code': 'VARCHAR', 'percent': 'DECIMAL(9, 4)', 'valid_from': 'DATE'});
COMMENT ON TABLE ref.payroll_allocations IS 'mappings/payroll_allocations.csv as loaded: how an employee''s or a job''s pay is split across departments. A version is the rows of one basis with one valid_from; on a check date the newest version on or before it applies, per employee before per job. A version''s percentages must sum to 100 (each above 0), else the pay runs using it carry a mapping_issue (invalid_allocation) and are held.';
COMMENT ON COLUMN ref.payroll_allocations.basis_type IS 'employee (basis_value is an employee number) or job (a job code), lower case.';
COMMENT ON COLUMN ref.payroll_allocations.basis_value IS 'Employee number (E10003) or job code (ASSTMGR), upper case.';
COMMENT ON COLUMN ref.payroll_allocations.department_code IS 'Heartland department code charged with this part.';
COMMENT ON COLUMN ref.payroll_allocations.location_code IS 'Location (store id) charged with this part; NULL: the register line''s own location.';
COMMENT ON COLUMN ref.payroll_allocations.percent IS 'Percent of each item charged here (up to 4 decimals); a version''s rows sum to 100.';
COMMENT ON COLUMN ref.payroll_allocations.valid_from IS 'First check date the version applies: the version key with basis_type and basis_value.';
