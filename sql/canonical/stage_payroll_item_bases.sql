-- Staging (connection-local) for check dates $first..$last: how each payroll item just built
-- (canonical.payroll_items) is charged to departments, read by insert_payroll_allocations.sql
-- (the parts) and insert_payroll_runs.sql (an allocation version that holds the run).
--
-- Precedence, first that applies:
--   1. allocation_file, per employee: the newest version of mappings/payroll_allocations.csv for
--      the employee valid on the check date (every item of the employee's);
--   2. allocation_file, per job: the newest version for the line's job code;
--   3. hours: the employee's non-earning items (taxes, deductions, benefits, net pay) of a check
--      whose earning lines carry hours in two or more departments (department × location ×
--      division) split by those hours; earning lines stay on their own department;
--   4. register_department: the line's own department, location and division.
-- An explicit allocation by finance beats what the hours suggest. A version whose percentages
-- do not sum to 100 (or holds a part of 0 % or less, or without a department) is never applied:
-- its items stay on their register department and the version is named in
-- invalid_allocation, which holds the pay run.
-- Parts are listed in department, location, division order: the order the largest-remainder
-- rule breaks ties in (the earlier part gets the cent).
CREATE OR REPLACE TEMP TABLE payroll_item_bases AS
WITH items AS (
    SELECT * FROM canonical.payroll_items WHERE business_date BETWEEN $first AND $last
),
versions AS (
    SELECT
        basis_type, basis_value, valid_from,
        sum(percent) = 100 AND bool_and(percent > 0 AND department_code IS NOT NULL) AS is_valid,
        sum(percent) AS total_percent,
        list({'department_code': department_code, 'location_code': location_code,
              'weight': CAST(percent * 10000 AS HUGEINT)}
             ORDER BY department_code, location_code) AS parts
    FROM ref.payroll_allocations
    GROUP BY ALL
),
employee_versions AS (SELECT * FROM versions WHERE basis_type = 'employee'),
job_versions AS (SELECT * FROM versions WHERE basis_type = 'job'),
-- The version of each (employee or job, check date) is looked up as of the check date only for
-- the few keys that have versions at all, then joined to the items by equality: an ASOF join
-- over every item sorted all of them for a handful of versions (~0.5 s of CPU on a
-- 20,000-employee register).
employee_keys AS (
    SELECT DISTINCT upper(i.employee_number) AS basis_value, i.check_date
    FROM items AS i
    SEMI JOIN employee_versions AS v ON v.basis_value = upper(i.employee_number)
),
employee_choices AS (
    SELECT k.basis_value AS employee_key, k.check_date, v.basis_value AS e_value,
           v.valid_from AS e_valid_from, v.is_valid AS e_is_valid,
           v.total_percent AS e_total_percent, v.parts AS e_parts
    FROM employee_keys AS k
    ASOF LEFT JOIN employee_versions AS v
        ON v.basis_value = k.basis_value AND k.check_date >= v.valid_from
),
job_keys AS (
    SELECT DISTINCT upper(trim(i.job_code)) AS basis_value, i.check_date
    FROM items AS i
    SEMI JOIN job_versions AS v ON v.basis_value = upper(trim(i.job_code))
),
job_choices AS (
    SELECT k.basis_value AS job_key, k.check_date, v.basis_value AS j_value,
           v.valid_from AS j_valid_from, v.is_valid AS j_is_valid,
           v.total_percent AS j_total_percent, v.parts AS j_parts
    FROM job_keys AS k
    ASOF LEFT JOIN job_versions AS v
        ON v.basis_value = k.basis_value AND k.check_date >= v.valid_from
),
with_versions AS (
    SELECT i.*, e.e_value, e.e_valid_from, e.e_is_valid, e.e_total_percent, e.e_parts,
           j.j_value, j.j_valid_from, j.j_is_valid, j.j_total_percent, j.j_parts
    FROM items AS i
    LEFT JOIN employee_choices AS e
        ON e.employee_key = upper(i.employee_number) AND e.check_date = i.check_date
    LEFT JOIN job_choices AS j
        ON j.job_key = upper(trim(i.job_code)) AND j.check_date = i.check_date
),
check_hours AS (
    SELECT run_key, employee_number, coalesce(check_number, '') AS check_key,
           department_code, location_code, division, sum(hours) AS hours
    FROM items
    WHERE item_class = 'EARNING' AND coalesce(hours, 0) <> 0
    GROUP BY ALL
),
-- Checks whose hours split: two or more departments, hours of one sign only (a void's are all
-- negative: shares are then fractions of 1). Found first, so only their few rows are listed.
split_checks AS (
    SELECT run_key, employee_number, check_key
    FROM check_hours
    GROUP BY ALL
    HAVING count(*) >= 2 AND (bool_and(hours > 0) OR bool_and(hours < 0))
),
hours_splits AS (
    SELECT
        run_key, employee_number, check_key,
        list({'department_code': department_code, 'location_code': location_code,
              'division': division, 'weight': CAST(abs(hours) * 10000 AS HUGEINT)}
             ORDER BY department_code, location_code, division) AS parts
    FROM check_hours
    SEMI JOIN split_checks USING (run_key, employee_number, check_key)
    GROUP BY ALL
),
chosen AS (
    SELECT
        i.*,
        h.parts AS hours_parts,
        CASE WHEN i.e_valid_from IS NOT NULL THEN 'employee'
             WHEN i.j_valid_from IS NOT NULL THEN 'job' END AS version_basis
    FROM with_versions AS i
    LEFT JOIN hours_splits AS h
        ON h.run_key = i.run_key AND h.employee_number = i.employee_number
       AND h.check_key = coalesce(i.check_number, '')
)
SELECT
    business_date, run_key, legal_entity, currency, event_id, employee_number, item_class,
    item_code, amount,
    CASE
        WHEN version_basis = 'employee' AND e_is_valid THEN 'allocation_file'
        WHEN version_basis = 'job' AND j_is_valid THEN 'allocation_file'
        WHEN version_basis IS NULL AND hours_parts IS NOT NULL AND item_class <> 'EARNING' THEN 'hours'
        ELSE 'register_department'
    END AS allocation_basis,
    CASE allocation_basis
        WHEN 'allocation_file' THEN list_transform(
            CASE version_basis WHEN 'employee' THEN e_parts ELSE j_parts END,
            lambda p: {'department_code': p.department_code,
                       'location_code': coalesce(p.location_code, location_code),
                       'division': division, 'weight': p.weight})
        WHEN 'hours' THEN hours_parts
        ELSE [{'department_code': department_code, 'location_code': location_code,
               'division': division, 'weight': CAST(1 AS HUGEINT)}]
    END AS parts,
    CASE
        WHEN version_basis = 'employee' AND NOT e_is_valid
            THEN 'invalid_allocation: employee ' || e_value || ' from ' || e_valid_from
                 || ' in mappings/payroll_allocations.csv sums to ' || e_total_percent
                 || ' % (must be 100, every part above 0 with a department)'
        WHEN version_basis = 'job' AND NOT j_is_valid
            THEN 'invalid_allocation: job ' || j_value || ' from ' || j_valid_from
                 || ' in mappings/payroll_allocations.csv sums to ' || j_total_percent
                 || ' % (must be 100, every part above 0 with a department)'
    END AS allocation_issue
FROM chosen;
