-- ref.payroll_departments from mappings/payroll_departments.csv ($dir: the mappings folder).
-- Each Heartland Payroll department code's D365 Department dimension value, from a day on.
CREATE OR REPLACE TABLE ref.payroll_departments AS
SELECT trim(department_code) AS department_code, trim(d365_department) AS d365_department,
       description, valid_from
FROM read_csv($dir || '/payroll_departments.csv', header = true, columns = {
    'department_code': 'VARCHAR', 'd365_department': 'VARCHAR', 'description': 'VARCHAR',
    'valid_from': 'DATE'});
COMMENT ON TABLE ref.payroll_departments IS 'mappings/payroll_departments.csv as loaded: the D365 Department dimension value of each Heartland Payroll department code. On a check date, the row with the newest valid_from on or before it wins.';
COMMENT ON COLUMN ref.payroll_departments.department_code IS 'Department code as the payroll register prints it (100, 200, ...).';
COMMENT ON COLUMN ref.payroll_departments.d365_department IS 'D365 Department dimension value (an OMDepartment operating unit number) the payroll expense of the department is posted to; must be in ref.gl_dimension_values and in D365.';
COMMENT ON COLUMN ref.payroll_departments.description IS 'What the department is, in finance''s words.';
COMMENT ON COLUMN ref.payroll_departments.valid_from IS 'First check date the row applies.';
