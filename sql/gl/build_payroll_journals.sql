-- Build gl.payroll_journal_lines and gl.payroll_journal_line_sources for the check dates
-- $first..$last from canonical.payroll_allocations: one journal per pay run and legal entity,
-- lines summarised per account display value. Accounts come only from the mapping files.
--
-- Which sides an item books is accounting, not mapping: earnings are expense (debit); employee
-- taxes, deductions and net pay are what the company owes out of them (credit); employer taxes
-- and benefits are an expense and a liability (both). Per employee and check, earnings equal
-- employee taxes + deductions + net pay, so any mix of items balances. An item no rule maps keeps
-- its amount on an unmapped line, so the journal still balances and says what is missing.
CREATE OR REPLACE TEMP TABLE gl_payroll_postings AS
WITH sides AS (
    SELECT * FROM (VALUES
        ('EARNING', 'debit'), ('EE_TAX', 'credit'), ('ER_TAX', 'debit'), ('ER_TAX', 'credit'),
        ('EE_DEDUCTION', 'credit'), ('ER_BENEFIT', 'debit'), ('ER_BENEFIT', 'credit'),
        ('NET_PAY', 'credit')
    ) AS s(item_class, side)
)
SELECT a.business_date, a.run_key, coalesce(a.legal_entity, '(unknown)') AS legal_entity,
       coalesce(a.currency, '(unknown)') AS currency, a.event_id, a.employee_number,
       upper(a.item_class) AS item_class, upper(replace(trim(a.item_code), ' ', '_')) AS item_code,
       coalesce(s.side, 'debit') AS side, a.department_code, a.location_code,
       CASE WHEN s.side = 'credit' THEN -a.amount ELSE a.amount END AS amount
FROM canonical.payroll_allocations AS a
LEFT JOIN sides AS s ON s.item_class = upper(a.item_class)
WHERE a.business_date BETWEEN $first AND $last AND a.amount <> 0;

-- The account of each (check date, item class, code, side, department, location): the newest rule
-- valid on the check date, an exact code before '*'; for expense rules the location's BusinessUnit
-- (gl_store_dimensions.csv, head office HQ included) and the department's D365 Department.
CREATE OR REPLACE TEMP TABLE gl_payroll_accounts AS
WITH keys AS (
    SELECT DISTINCT business_date, item_class, item_code, side, department_code, location_code
    FROM gl_payroll_postings
),
ruled AS (
    SELECT k.*, r.main_account, coalesce(r.dimensions, 'none') AS dimensions
    FROM keys AS k
    LEFT JOIN ref.gl_payroll_posting_rules AS r
      ON r.item_class = k.item_class AND r.side = k.side AND r.item_code IN (k.item_code, '*')
     AND r.valid_from <= k.business_date
    QUALIFY row_number() OVER (
        PARTITION BY k.business_date, k.item_class, k.item_code, k.side, k.department_code,
                     k.location_code
        ORDER BY r.item_code = '*', r.valid_from DESC) = 1
),
department_values AS (
    SELECT k.business_date, k.department_code, arg_max(d.d365_department, d.valid_from) AS value
    FROM (SELECT DISTINCT business_date, department_code FROM keys) AS k
    JOIN ref.payroll_departments AS d
      ON d.department_code = k.department_code AND d.valid_from <= k.business_date
    GROUP BY ALL
),
location_values AS (
    SELECT k.business_date, k.location_code, arg_max(d.value, d.valid_from) AS value
    FROM (SELECT DISTINCT business_date, location_code FROM keys) AS k
    JOIN ref.gl_store_dimensions AS d
      ON d.store_id = k.location_code AND d.dimension = 'BusinessUnit'
     AND d.valid_from <= k.business_date
    GROUP BY ALL
),
dimensioned AS (
    SELECT r.*,
           CASE WHEN r.dimensions = 'department' THEN l.value END AS business_unit,
           CASE WHEN r.dimensions = 'department' THEN d.value END AS department
    FROM ruled AS r
    LEFT JOIN department_values AS d
      ON d.business_date = r.business_date AND d.department_code = r.department_code
    LEFT JOIN location_values AS l
      ON l.business_date = r.business_date AND l.location_code = r.location_code
),
segments AS (
    SELECT r.business_date, r.item_class, r.item_code, r.side, r.department_code,
           r.location_code, s.position, s.segment,
           CASE s.segment
               WHEN 'MainAccount' THEN r.main_account
               WHEN 'BusinessUnit' THEN coalesce(r.business_unit, '')
               WHEN 'Department' THEN coalesce(r.department, '')
               ELSE ''
           END AS value
    FROM dimensioned AS r
    CROSS JOIN ref.gl_account_structure AS s
    WHERE r.main_account IS NOT NULL
),
displayed AS (
    SELECT business_date, item_class, item_code, side, department_code, location_code,
           list(value ORDER BY position) AS segment_values,
           string_agg(segment || '=' || value, ', ' ORDER BY position)
               FILTER (WHERE segment <> 'MainAccount' AND value <> '') AS dimension_values
    FROM segments
    GROUP BY ALL
)
SELECT r.business_date, r.item_class, r.item_code, r.side, r.department_code, r.location_code,
       r.main_account,
       display_account(d.segment_values) AS account_display_value,
       coalesce(d.dimension_values, '') AS dimension_values,
       CASE
           WHEN r.main_account IS NULL
               THEN 'no rule in mappings/gl_payroll_posting_rules.csv for ' || r.item_class || ' '
                    || r.item_code || ' (' || r.side || ') valid on ' || r.business_date
           WHEN r.dimensions = 'department' AND r.department IS NULL
               THEN 'department ' || coalesce(r.department_code, '(none)')
                    || ' has no row in mappings/payroll_departments.csv valid on ' || r.business_date
           WHEN r.dimensions = 'department' AND r.business_unit IS NULL
               THEN 'location ' || coalesce(r.location_code, '(none)')
                    || ' has no BusinessUnit in mappings/gl_store_dimensions.csv valid on '
                    || r.business_date
       END AS mapping_issue
FROM dimensioned AS r
LEFT JOIN displayed AS d
  ON d.business_date = r.business_date AND d.item_class = r.item_class
 AND d.item_code = r.item_code AND d.side = r.side
 AND d.department_code IS NOT DISTINCT FROM r.department_code
 AND d.location_code IS NOT DISTINCT FROM r.location_code;

-- Each journal line's postings, summed: the journal is the run in its legal entity; the line is
-- the account display value, or (unmapped) the reason, so one missing mapping is one line. The
-- keys are made once per run and account, not once per posting (a 20,000-employee run has
-- ~410,000 postings and a few hundred such groups; hashing and copying every posting with its
-- keys was ~0.7 s of CPU). Each group is one item class (the accounts are keyed by it).
CREATE OR REPLACE TEMP TABLE gl_payroll_line_groups AS
WITH grouped AS (
    SELECT business_date, run_key, legal_entity, currency, item_class, item_code, side,
           department_code, location_code, sum(amount) AS amount, count(*) AS source_count
    FROM gl_payroll_postings
    GROUP BY ALL
),
keyed AS (
    SELECT g.*, a.main_account, a.account_display_value, a.dimension_values, a.mapping_issue,
           g.legal_entity || '-' || g.business_date || '-' || g.currency || '-P'
               || sha256(g.run_key)[1:8] AS journal_key,
           CASE WHEN a.mapping_issue IS NULL THEN a.account_display_value
                ELSE 'UNMAPPED ' || a.mapping_issue
           END AS line_group
    FROM grouped AS g
    JOIN gl_payroll_accounts AS a
      ON a.business_date = g.business_date AND a.item_class = g.item_class
     AND a.item_code = g.item_code AND a.side = g.side
     AND a.department_code IS NOT DISTINCT FROM g.department_code
     AND a.location_code IS NOT DISTINCT FROM g.location_code
)
SELECT *, 'PL_' || upper(md5(journal_key || '|' || line_group)[1:16]) AS line_key
FROM keyed;

DELETE FROM gl.payroll_journal_line_sources WHERE business_date BETWEEN $first AND $last;
DELETE FROM gl.payroll_journal_lines WHERE business_date BETWEEN $first AND $last;

INSERT INTO gl.payroll_journal_line_sources
    (business_date, journal_key, line_key, run_key, event_id, employee_number, item_class,
     item_code, side, department_code, location_code, amount)
SELECT p.business_date, g.journal_key, g.line_key, p.run_key, p.event_id, p.employee_number,
       p.item_class, p.item_code, p.side, p.department_code, p.location_code, p.amount
FROM gl_payroll_postings AS p
JOIN gl_payroll_line_groups AS g
  ON g.business_date = p.business_date AND g.run_key IS NOT DISTINCT FROM p.run_key
 AND g.legal_entity = p.legal_entity AND g.currency = p.currency
 AND g.item_class = p.item_class AND g.item_code = p.item_code AND g.side = p.side
 AND g.department_code IS NOT DISTINCT FROM p.department_code
 AND g.location_code IS NOT DISTINCT FROM p.location_code;

INSERT INTO gl.payroll_journal_lines (
    business_date, journal_key, run_key, pay_group, payroll_run_id, legal_entity, currency,
    base_currency, fx_rate, line_key, line_number, main_account, account_display_value,
    dimension_values, item_classes, text, amount, debit_amount, credit_amount, base_amount,
    base_debit_amount, base_credit_amount, source_count, mapping_issue)
WITH summed AS (
    SELECT business_date, journal_key, line_key, any_value(run_key) AS run_key,
           any_value(legal_entity) AS legal_entity, any_value(currency) AS currency,
           any_value(line_group) AS line_group, any_value(main_account) AS main_account,
           any_value(account_display_value) AS account_display_value,
           any_value(dimension_values) AS dimension_values,
           any_value(mapping_issue) AS mapping_issue,
           string_agg(DISTINCT item_class, ', ' ORDER BY item_class) AS item_classes,
           sum(amount) AS amount, CAST(sum(source_count) AS BIGINT) AS source_count
    FROM gl_payroll_line_groups
    GROUP BY business_date, journal_key, line_key
),
rated AS (
    SELECT s.*, le.base_currency,
           (SELECT arg_max(x.rate, x.rate_date) FROM ref.fx_rates AS x
            WHERE x.from_currency = s.currency AND x.to_currency = le.base_currency
              AND x.rate_date <= s.business_date) AS fx_rate
    FROM summed AS s
    LEFT JOIN (SELECT legal_entity, arg_max(base_currency, valid_from) AS base_currency
               FROM ref.legal_entities GROUP BY ALL) AS le USING (legal_entity)
)
SELECT r.business_date, r.journal_key, r.run_key,
       coalesce(run.pay_group, split_part(r.run_key, '|', 2)),
       coalesce(run.payroll_run_id, split_part(r.run_key, '|', 3)),
       r.legal_entity, r.currency, r.base_currency, r.fx_rate, r.line_key,
       row_number() OVER (PARTITION BY r.business_date, r.journal_key ORDER BY r.line_group),
       r.main_account, r.account_display_value, r.dimension_values, r.item_classes,
       'Payroll ' || coalesce(run.pay_group, '') || ' ' || coalesce(run.payroll_run_id, '') || ' '
           || coalesce(m.name, 'Unmapped'),
       r.amount, greatest(r.amount, 0), greatest(-r.amount, 0),
       to_base_amount(r.amount, r.fx_rate), greatest(to_base_amount(r.amount, r.fx_rate), 0),
       greatest(-to_base_amount(r.amount, r.fx_rate), 0), r.source_count, r.mapping_issue
FROM rated AS r
LEFT JOIN canonical.payroll_runs AS run
  ON run.business_date = r.business_date AND run.run_key = r.run_key
LEFT JOIN ref.gl_main_accounts AS m ON m.main_account = r.main_account;

DROP TABLE gl_payroll_line_groups;
DROP TABLE gl_payroll_accounts;
DROP TABLE gl_payroll_postings;
