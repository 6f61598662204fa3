-- Rebuild canonical.employees whole: every employee the payroll register names (by number,
-- never by name) and every D365 employment (raw.d365_employees), matched on employee number =
-- PersonnelNumber.
-- Register side: the organisation defaults of the employee's newest register line (not a void's,
-- which repeats an old check), newest by check date, then when it landed, file, row; the client
-- of that line gives the legal entity (ref.payroll_clients). First and last check dates are of
-- the employee's paid (not void) lines.
-- D365 side: the employee's newest employment (start date, then employment id); its Department
-- is the segment of DimensionDisplayValue at the Department's place among the dimensions of
-- ref.gl_account_structure (the positions after MainAccount; "\-" inside a value is a hyphen).
-- D365's empty date (1900-01-01) and never-ending date (2154-12-31) read as NULL.
DELETE FROM canonical.employees;
INSERT INTO canonical.employees BY NAME
WITH register_lines AS (
    SELECT *, upper(trim(employee_number)) AS employee_key
    FROM raw.payroll_register
    WHERE item_class <> 'RUN_TOTAL' AND coalesce(trim(employee_number), '') <> ''
),
register_employees AS (
    SELECT
        employee_key,
        arg_max({'client_id': upper(trim(client_id)), 'division': division,
                 'department_code': department_code, 'job_code': job_code,
                 'location_code': location_code, 'check_date': check_date},
                (lower(check_type) <> 'void', check_date, received_at, file_name, file_row)) AS newest,
        min(check_date) FILTER (lower(check_type) <> 'void') AS first_check_date,
        max(check_date) FILTER (lower(check_type) <> 'void') AS last_check_date
    FROM register_lines
    GROUP BY employee_key
),
register_mapped AS (
    SELECT e.*, c.legal_entity
    FROM (SELECT *, newest.client_id AS client_key, newest.check_date AS newest_check_date
          FROM register_employees) AS e
    ASOF LEFT JOIN ref.payroll_clients AS c
        ON c.client_id = e.client_key AND e.newest_check_date >= c.valid_from
),
department_position AS (
    -- The Department's place among the dimension segments (MainAccount comes first and is not
    -- part of a default-dimension string).
    SELECT position - (SELECT count(*) FROM ref.gl_account_structure
                       WHERE segment = 'MainAccount' AND position < d.position) AS segment_index
    FROM ref.gl_account_structure AS d
    WHERE segment = 'Department'
),
d365_employments AS (
    SELECT
        upper(trim(PersonnelNumber)) AS employee_key,
        arg_max({'personnel_number': PersonnelNumber,
                 'legal_entity': lower(EmploymentLegalEntityId),
                 'dimensions': DimensionDisplayValue,
                 'start_date': EmploymentStartDate, 'end_date': EmploymentEndDate,
                 'termination_date': TerminationDate},
                (EmploymentStartDate, EmploymentId)) AS newest
    FROM raw.d365_employees
    GROUP BY ALL
),
d365_employees AS (
    SELECT
        employee_key,
        newest.personnel_number,
        newest.legal_entity,
        nullif(replace(
            list_extract(
                string_split(replace(newest.dimensions, '\-', chr(1)), '-'),
                (SELECT segment_index FROM department_position)
            ),
            chr(1), '-'), '') AS department,
        CAST(timezone('UTC', newest.start_date) AS DATE) AS employment_start,
        CAST(timezone('UTC', newest.end_date) AS DATE) AS employment_end,
        CAST(timezone('UTC', newest.termination_date) AS DATE) AS termination_date
    FROM d365_employments
)
SELECT
    coalesce(r.employee_key, d.personnel_number) AS employee_number,
    coalesce(r.legal_entity, d.legal_entity) AS legal_entity,
    r.newest.division AS default_division,
    r.newest.department_code AS default_department,
    r.newest.job_code AS default_job,
    r.newest.location_code AS default_location,
    r.first_check_date,
    r.last_check_date,
    d.personnel_number AS d365_personnel_number,
    d.department AS d365_department,
    CASE WHEN d.employment_start > DATE '1900-01-01' THEN d.employment_start END AS d365_employment_start,
    CASE WHEN d.employment_end < DATE '2154-12-31' THEN d.employment_end END AS d365_employment_end,
    CASE WHEN d.termination_date > DATE '1900-01-01' THEN d.termination_date END AS d365_termination_date,
    CASE WHEN r.employee_key IS NULL THEN 'd365'
         WHEN d.employee_key IS NULL THEN 'register'
         ELSE 'register+d365' END AS sources
FROM register_mapped AS r
FULL OUTER JOIN d365_employees AS d ON d.employee_key = r.employee_key;
