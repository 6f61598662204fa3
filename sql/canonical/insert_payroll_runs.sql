-- Build canonical.payroll_runs for check dates $first..$last: one row per pay run in its current
-- file (stage_current_payroll_lines.sql), totals per item class from its items (voids
-- negative), the register's own totals from its RUN_TOTAL lines as printed, and what holds the
-- run from being journalled (mapping_issue): a client missing from mappings/payroll_clients.csv,
-- an invalid allocation version its items would use (stage_payroll_item_bases.sql), a line
-- without an employee number.
INSERT INTO canonical.payroll_runs BY NAME
WITH run_totals AS (
    SELECT
        run_key,
        any_value(business_date) AS business_date,
        any_value(client_id) AS client_id,
        any_value(pay_group) AS pay_group,
        any_value(payroll_run_id) AS payroll_run_id,
        any_value(legal_entity) AS legal_entity,
        any_value(currency) AS currency,
        min(period_begin) AS period_begin,
        max(period_end) AS period_end,
        max(check_date) AS check_date,
        any_value(file_sha256) AS file_sha256,
        any_value(file_name) AS file_name,
        any_value(file_received_at) AS file_received_at,
        any_value(files_received) AS files_received,
        count(DISTINCT employee_number) FILTER (item_class <> 'RUN_TOTAL') AS employees,
        count(*) FILTER (item_class <> 'RUN_TOTAL') AS item_rows,
        count(*) FILTER (item_class <> 'RUN_TOTAL' AND is_void) AS void_rows,
        coalesce(sum(signed_amount) FILTER (item_class = 'EARNING'), 0) AS gross_amount,
        coalesce(sum(signed_amount) FILTER (item_class = 'EE_TAX'), 0) AS ee_tax_amount,
        coalesce(sum(signed_amount) FILTER (item_class = 'ER_TAX'), 0) AS er_tax_amount,
        coalesce(sum(signed_amount) FILTER (item_class = 'EE_DEDUCTION'), 0) AS ee_deduction_amount,
        coalesce(sum(signed_amount) FILTER (item_class = 'ER_BENEFIT'), 0) AS er_benefit_amount,
        coalesce(sum(signed_amount) FILTER (item_class = 'NET_PAY'), 0) AS net_pay_amount,
        sum(amount) FILTER (item_class = 'RUN_TOTAL' AND item_code = 'GROSS') AS register_gross,
        sum(amount) FILTER (item_class = 'RUN_TOTAL' AND item_code = 'EE_TAX') AS register_ee_tax,
        sum(amount) FILTER (item_class = 'RUN_TOTAL' AND item_code = 'ER_TAX') AS register_er_tax,
        sum(amount) FILTER (item_class = 'RUN_TOTAL' AND item_code = 'EE_DEDUCTION') AS register_ee_deduction,
        sum(amount) FILTER (item_class = 'RUN_TOTAL' AND item_code = 'ER_BENEFIT') AS register_er_benefit,
        sum(amount) FILTER (item_class = 'RUN_TOTAL' AND item_code = 'NET_PAY') AS register_net_pay,
        count(*) FILTER (item_class <> 'RUN_TOTAL' AND coalesce(trim(employee_number), '') = '')
            AS lines_without_employee
    FROM current_payroll_lines
    GROUP BY run_key
),
allocation_issues AS (
    SELECT run_key, string_agg(DISTINCT allocation_issue, '; ' ORDER BY allocation_issue) AS issues
    FROM payroll_item_bases
    WHERE allocation_issue IS NOT NULL
    GROUP BY run_key
)
SELECT
    r.* EXCLUDE (lines_without_employee),
    nullif(concat_ws('; ',
        CASE WHEN r.legal_entity IS NULL
             THEN 'unmapped_payroll_client: client "' || r.client_id
                  || '" is not in mappings/payroll_clients.csv (on or before ' || r.check_date || ')' END,
        a.issues,
        CASE WHEN r.lines_without_employee > 0
             THEN 'line_without_employee: ' || r.lines_without_employee
                  || ' item lines carry no employee number' END
    ), '') AS mapping_issue
FROM run_totals AS r
LEFT JOIN allocation_issues AS a USING (run_key);
