-- Payroll risk features (issue 18, docs/risk-features-pos-payroll.md): one scored entity per pay
-- run and employee paid in it (entity_kind employee, entity_id <payroll_run_id>/<employee>),
-- business_date = check date. Params: $first, $last (check dates written), $window_start (first
-- check date of the trailing history; history is read from $window_start .. $first - 1 only).
--
-- * paid_twice_in_run: an employee with two regular checks in one run, or a net pay line
--   repeated (same item code and amount) in it; voids, additional and manual checks are not pay
--   twice (they are how payroll corrects itself).
-- * gross_to_own_max / gross_robust_z: the run's gross pay against the employee's own trailing
--   runs (at least two of them): the ratio to their highest, and the robust z-score
--   (gross - median) / (1.4826 MAD), its scale floored at 5 % of the median so a salary paid the
--   same every run does not divide by zero.
-- * new_employee_shared_bank_account: an employee first paid on this check date whose net pay
--   goes to a bank account (bank_account_fingerprint, a keyed hash: never the number) another
--   employee is paid into, in this run or the window: the ghost employee.
-- * days_paid_after_termination: pay for a period that began after the employee's D365
--   termination date (canonical.employees.d365_termination_date); 0 when the period covers it.
-- Record ids: payroll_item:<payroll_run_id>/<employee>/<item_code> of the net pay lines behind a
-- value, and employee:<employee> for the new employee of a shared account.

CREATE OR REPLACE TEMP TABLE risk_payroll_pay AS
SELECT
    business_date,
    run_key,
    split_part(run_key, '|', 3) AS payroll_run_id,
    any_value(legal_entity) AS legal_entity,
    employee_number,
    count(DISTINCT check_number) FILTER (WHERE check_type = 'regular') AS regular_checks,
    string_agg(DISTINCT check_number, ', ' ORDER BY check_number) FILTER (WHERE check_type = 'regular')
        AS regular_check_numbers,
    count(*) FILTER (WHERE item_class = 'NET_PAY' AND check_type <> 'void')
        - count(DISTINCT (item_code, amount)) FILTER (WHERE item_class = 'NET_PAY' AND check_type <> 'void')
        AS repeated_net_pay_lines,
    coalesce(sum(amount) FILTER (WHERE item_class = 'EARNING' AND check_type <> 'void'), 0) AS gross,
    coalesce(sum(amount) FILTER (WHERE item_class = 'NET_PAY' AND check_type <> 'void'), 0) AS net_pay,
    string_agg(CAST(amount AS VARCHAR), ' and ' ORDER BY check_number, file_row)
        FILTER (WHERE item_class = 'NET_PAY' AND check_type <> 'void') AS net_pay_amounts,
    -- The net pay lines; an employee whose run has none (its net pay line quarantined, or a run
    -- of earnings only) points at all of its items instead: record_ids is never empty.
    coalesce(
        list_distinct(list('payroll_item:' || split_part(run_key, '|', 3) || '/' || employee_number || '/' || item_code)
            FILTER (WHERE item_class = 'NET_PAY' AND check_type <> 'void')),
        list_distinct(list('payroll_item:' || split_part(run_key, '|', 3) || '/' || employee_number || '/' || item_code))
    ) AS net_pay_records
FROM canonical.payroll_items
WHERE business_date BETWEEN $window_start AND $last
  AND employee_number <> ''
GROUP BY business_date, run_key, employee_number;

CREATE OR REPLACE TEMP TABLE risk_payroll_scored AS
SELECT * FROM risk_payroll_pay
WHERE business_date BETWEEN $first AND $last
  AND (regular_checks > 0 OR net_pay > 0);

-- The window's pay per employee, before the first day scored: never the day itself.
CREATE OR REPLACE TEMP TABLE risk_payroll_history AS
SELECT
    employee_number,
    count(*) AS runs,
    max(gross) AS max_gross,
    median(gross) AS median_gross,
    mad(gross) AS mad_gross
FROM risk_payroll_pay
WHERE business_date < $first AND regular_checks > 0
GROUP BY employee_number;

-- Every (employee, account) paid in the window or the days scored, with the first day seen.
CREATE OR REPLACE TEMP TABLE risk_payroll_accounts AS
SELECT employee_number, bank_account_fingerprint, min(business_date) AS first_paid
FROM canonical.payroll_items
WHERE business_date BETWEEN $window_start AND $last
  AND item_class = 'NET_PAY' AND check_type <> 'void'
  AND bank_account_fingerprint IS NOT NULL AND employee_number <> ''
GROUP BY ALL;

INSERT INTO risk.features (business_date, domain, entity_kind, entity_id, store_id, legal_entity,
                           feature, value, evidence, record_ids)
WITH paid_twice AS (
    SELECT
        s.*,
        greatest(s.regular_checks - 1, s.repeated_net_pay_lines) AS times_over
    FROM risk_payroll_scored AS s
),

spikes AS (
    SELECT
        s.*,
        h.runs,
        h.max_gross,
        h.median_gross,
        CAST(s.gross AS DOUBLE) / CAST(h.max_gross AS DOUBLE) AS gross_ratio,
        (CAST(s.gross AS DOUBLE) - CAST(h.median_gross AS DOUBLE)) / greatest(
            1.4826 * CAST(h.mad_gross AS DOUBLE), 0.05 * CAST(h.median_gross AS DOUBLE), 1.0) AS gross_z
    FROM risk_payroll_scored AS s
    JOIN risk_payroll_history AS h USING (employee_number)
    WHERE h.runs >= 2 AND h.max_gross > 0
),

-- New: first paid on this check date (canonical.employees.first_check_date, else no pay in the
-- window before it).
new_employees AS (
    SELECT s.*
    FROM risk_payroll_scored AS s
    LEFT JOIN canonical.employees AS e USING (employee_number)
    WHERE coalesce(e.first_check_date, (
        SELECT min(p.business_date) FROM risk_payroll_pay AS p
        WHERE p.employee_number = s.employee_number AND p.net_pay > 0)) >= s.business_date
),

shared_accounts AS (
    SELECT
        n.business_date,
        n.payroll_run_id,
        n.legal_entity,
        n.employee_number,
        n.net_pay_records,
        count(DISTINCT other.employee_number) AS other_employees,
        string_agg(DISTINCT other.employee_number, ', ' ORDER BY other.employee_number) AS others
    FROM new_employees AS n
    JOIN risk_payroll_accounts AS mine
        ON mine.employee_number = n.employee_number AND mine.first_paid <= n.business_date
    JOIN risk_payroll_accounts AS other
        ON other.bank_account_fingerprint = mine.bank_account_fingerprint
        AND other.employee_number <> n.employee_number
        AND other.first_paid <= n.business_date
    GROUP BY ALL
),

terminated AS (
    SELECT
        s.*,
        e.d365_termination_date,
        coalesce(r.period_begin, s.business_date) AS period_begin,
        greatest(date_diff('day', e.d365_termination_date, coalesce(r.period_begin, s.business_date)), 0)
            AS days_after
    FROM risk_payroll_scored AS s
    JOIN canonical.employees AS e USING (employee_number)
    LEFT JOIN canonical.payroll_runs AS r USING (business_date, run_key)
    WHERE e.d365_termination_date IS NOT NULL AND s.net_pay > 0
)

SELECT business_date, 'payroll', 'employee', payroll_run_id || '/' || employee_number, NULL,
       legal_entity, 'paid_twice_in_run', times_over,
       CASE WHEN times_over > 0 THEN employee_number || ' paid ' || regular_checks
           || ' regular check(s) in run ' || payroll_run_id || ' (' || coalesce(regular_check_numbers, '')
           || '), net pay ' || coalesce(net_pay_amounts, '0') END,
       net_pay_records
FROM paid_twice
UNION ALL
SELECT business_date, 'payroll', 'employee', payroll_run_id || '/' || employee_number, NULL,
       legal_entity, 'gross_to_own_max', gross_ratio,
       employee_number || ' gross ' || CAST(gross AS VARCHAR) || ' in run ' || payroll_run_id
           || ' against at most ' || CAST(max_gross AS VARCHAR) || ' in their ' || runs
           || ' run(s) of the trailing window',
       net_pay_records
FROM spikes
UNION ALL
SELECT business_date, 'payroll', 'employee', payroll_run_id || '/' || employee_number, NULL,
       legal_entity, 'gross_robust_z', gross_z,
       employee_number || ' gross ' || CAST(gross AS VARCHAR) || ' in run ' || payroll_run_id
           || ', own median ' || CAST(median_gross AS VARCHAR) || ' over ' || runs || ' run(s)',
       net_pay_records
FROM spikes
UNION ALL
SELECT business_date, 'payroll', 'employee', payroll_run_id || '/' || employee_number, NULL,
       legal_entity, 'new_employee_shared_bank_account', other_employees,
       'new employee ' || employee_number || ' (first paid ' || CAST(business_date AS VARCHAR)
           || ') paid into the same bank account as ' || others,
       list_prepend('employee:' || employee_number, net_pay_records)
FROM shared_accounts
UNION ALL
SELECT business_date, 'payroll', 'employee', payroll_run_id || '/' || employee_number, NULL,
       legal_entity, 'days_paid_after_termination', days_after,
       employee_number || ' paid ' || CAST(net_pay AS VARCHAR) || ' net in run ' || payroll_run_id
           || ' for a period from ' || CAST(period_begin AS VARCHAR) || '; D365 terminated them on '
           || CAST(d365_termination_date AS VARCHAR),
       net_pay_records
FROM terminated;

DROP TABLE risk_payroll_pay;
DROP TABLE risk_payroll_scored;
DROP TABLE risk_payroll_history;
DROP TABLE risk_payroll_accounts;
