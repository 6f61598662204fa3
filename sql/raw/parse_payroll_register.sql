-- Parse each screened line against the payroll register shape (docs/payroll-intake.md): every
-- value arrives as the text the export held, already read through the column mapping (dates
-- ISO when the mapping's format could read them, amounts without '$' and thousands commas).
-- Problems name the field, never its value: a register line is personal data.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"client_id": "VARCHAR", "pay_group": "VARCHAR", "payroll_run_id": "VARCHAR",
                        "period_begin": "VARCHAR", "period_end": "VARCHAR", "check_date": "VARCHAR",
                        "check_number": "VARCHAR", "check_type": "VARCHAR", "voided_check_number": "VARCHAR",
                        "employee_number": "VARCHAR", "division": "VARCHAR", "department_code": "VARCHAR",
                        "job_code": "VARCHAR", "location_code": "VARCHAR", "item_class": "VARCHAR",
                        "item_code": "VARCHAR", "item_description": "VARCHAR", "hours": "VARCHAR",
                        "amount": "VARCHAR", "bank_account_fingerprint": "VARCHAR",
                        "file": {"name": "VARCHAR", "sha256": "VARCHAR", "row": "VARCHAR"}}
        }') END AS e
    FROM screened_lines
),
fields AS (
    SELECT
        *,
        nullif(trim(e.payload.amount), '') AS amount_text,
        nullif(trim(e.payload.hours), '') AS hours_text,
        TRY_CAST(nullif(trim(e.payload.amount), '') AS DECIMAL(38, 10)) AS amount_value,
        TRY_CAST(nullif(trim(e.payload.hours), '') AS DECIMAL(38, 10)) AS hours_value,
        upper(nullif(trim(e.payload.item_class), '')) AS item_class_value,
        lower(nullif(trim(e.payload.check_type), '')) AS check_type_value
    FROM decoded
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.file.sha256 AS file_sha256,
    e.payload.file.name AS file_name,
    TRY_CAST(e.payload.file.row AS BIGINT) AS file_row,
    nullif(trim(e.payload.client_id), '') AS client_id,
    nullif(trim(e.payload.pay_group), '') AS pay_group,
    nullif(trim(e.payload.payroll_run_id), '') AS payroll_run_id,
    TRY_CAST(nullif(trim(e.payload.period_begin), '') AS DATE) AS period_begin,
    TRY_CAST(nullif(trim(e.payload.period_end), '') AS DATE) AS period_end,
    TRY_CAST(nullif(trim(e.payload.check_date), '') AS DATE) AS check_date,
    nullif(trim(e.payload.check_number), '') AS check_number,
    check_type_value AS check_type,
    nullif(trim(e.payload.voided_check_number), '') AS voided_check_number,
    nullif(trim(e.payload.employee_number), '') AS employee_number,
    nullif(trim(e.payload.division), '') AS division,
    nullif(trim(e.payload.department_code), '') AS department_code,
    nullif(trim(e.payload.job_code), '') AS job_code,
    nullif(trim(e.payload.location_code), '') AS location_code,
    item_class_value AS item_class,
    nullif(trim(e.payload.item_code), '') AS item_code,
    nullif(trim(e.payload.item_description), '') AS item_description,
    exact_quantity(hours_value) AS hours,
    exact_money(amount_value) AS amount,
    nullif(trim(e.payload.bank_account_fingerprint), '') AS bank_account_fingerprint,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN e.event_type IS DISTINCT FROM 'heartland_payroll.register_line'
             THEN 'schema_violation: event_type is not heartland_payroll.register_line' END,
        CASE WHEN coalesce(e.payload.file.sha256, '') = '' OR coalesce(e.payload.file.name, '') = ''
                  OR TRY_CAST(e.payload.file.row AS BIGINT) IS NULL
             THEN 'schema_violation: payload.file does not name the file, its sha256 and row' END,
        payroll_required_problem('payload.client_id', e.payload.client_id),
        payroll_required_problem('payload.pay_group', e.payload.pay_group),
        payroll_required_problem('payload.payroll_run_id', e.payload.payroll_run_id),
        payroll_required_problem('payload.check_type', e.payload.check_type),
        payroll_required_problem('payload.item_class', e.payload.item_class),
        payroll_required_problem('payload.item_code', e.payload.item_code),
        CASE WHEN item_class_value IS DISTINCT FROM 'RUN_TOTAL'
             THEN payroll_required_problem('payload.employee_number', e.payload.employee_number) END,
        payroll_date_problem('payload.check_date', e.payload.check_date, true),
        payroll_date_problem('payload.period_begin', e.payload.period_begin, false),
        payroll_date_problem('payload.period_end', e.payload.period_end, false),
        CASE WHEN TRY_CAST(nullif(trim(e.payload.check_date), '') AS DATE) <> business_date
             THEN 'schema_violation: payload.check_date is not the business day the line landed under' END,
        CASE WHEN NOT list_contains(payroll_item_classes(), item_class_value)
             THEN 'unknown_item_class: payload.item_class is not one of '
                  || array_to_string(payroll_item_classes(), ', ') END,
        CASE WHEN NOT list_contains(payroll_check_types(), check_type_value)
             THEN 'unknown_check_type: payload.check_type is not one of '
                  || array_to_string(payroll_check_types(), ', ') END,
        CASE WHEN item_class_value = 'RUN_TOTAL'
                  AND NOT list_contains(payroll_run_total_codes(), upper(trim(e.payload.item_code)))
             THEN 'schema_violation: a RUN_TOTAL line''s payload.item_code is not one of '
                  || array_to_string(payroll_run_total_codes(), ', ') END,
        CASE WHEN check_type_value = 'void' AND nullif(trim(e.payload.voided_check_number), '') IS NULL
             THEN 'schema_violation: a void line has no payload.voided_check_number' END,
        CASE WHEN starts_with(amount_text, '-')
             THEN 'negative_amount: payload.amount is negative (register amounts are positive; the GL mapping signs them)' END,
        CASE WHEN starts_with(hours_text, '-')
             THEN 'negative_amount: payload.hours is negative' END,
        CASE WHEN NOT regexp_full_match(coalesce(nullif(trim(e.payload.bank_account_fingerprint), ''), 'fp0000000000000000'), 'fp[0-9a-f]{16}')
             THEN 'schema_violation: payload.bank_account_fingerprint is not a fingerprint (fp + 16 hex; is its mapping format fingerprint?)' END,
        money_problem('payload.amount', amount_value, amount_text, true),
        quantity_problem('payload.hours', hours_value, hours_text, false)
    ], lambda p: p IS NOT NULL) END AS problems
FROM fields;
