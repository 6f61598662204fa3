-- Build canonical.payroll_items for check dates $first..$last from the staged current lines
-- (stage_current_payroll_lines.sql): every line of each pay run's current file but its RUN_TOTAL
-- lines (those feed canonical.payroll_runs), a void check's amount and hours negative.
-- A line without an employee number is kept (employee_number '') and holds its run
-- (insert_payroll_runs.sql: line_without_employee), so no money goes missing.
INSERT INTO canonical.payroll_items BY NAME
SELECT
    business_date, run_key, legal_entity, currency, check_date, check_number,
    lower(check_type) AS check_type, voided_check_number,
    coalesce(trim(employee_number), '') AS employee_number,
    division, department_code, job_code, location_code,
    item_class, item_code, item_description,
    signed_hours AS hours,
    signed_amount AS amount,
    event_id, file_sha256, file_row, segment_path, line_number, bank_account_fingerprint
FROM current_payroll_lines
WHERE item_class <> 'RUN_TOTAL';
