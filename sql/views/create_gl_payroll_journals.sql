-- One row per payroll journal (pay run × legal entity): totals, whether it balances, and whether
-- its blocking checks passed, with the reasons it is held. What the accountant queries before a
-- pay run goes to D365, and what the poster reads.
CREATE OR REPLACE VIEW gl.payroll_journals AS
WITH totals AS (
    SELECT business_date, journal_key, any_value(run_key) AS run_key,
           any_value(pay_group) AS pay_group, any_value(payroll_run_id) AS payroll_run_id,
           any_value(legal_entity) AS legal_entity, any_value(currency) AS currency,
           any_value(base_currency) AS base_currency, any_value(fx_rate) AS fx_rate,
           count(*) AS lines, count(*) FILTER (WHERE amount <> 0) AS lines_to_post,
           sum(debit_amount) AS debit_total, sum(credit_amount) AS credit_total,
           sum(base_debit_amount) AS base_debit_total, sum(base_credit_amount) AS base_credit_total,
           sum(source_count) AS source_records
    FROM gl.payroll_journal_lines
    GROUP BY business_date, journal_key
),
checks AS (
    SELECT business_date, journal_key, bool_and(passed) AS checks_passed,
           string_agg(check_name, ', ' ORDER BY check_name) FILTER (WHERE NOT passed) AS failed_checks,
           string_agg(check_name || ': ' || detail, ' | ' ORDER BY check_name) FILTER (WHERE NOT passed)
               AS hold_reasons,
           max(evaluated_at) AS checks_evaluated_at
    FROM gl.payroll_journal_checks
    GROUP BY business_date, journal_key
)
SELECT t.*,
       t.debit_total = t.credit_total AND t.base_debit_total = t.base_credit_total AS balanced,
       c.checks_passed, c.failed_checks, c.hold_reasons, c.checks_evaluated_at
FROM totals AS t
LEFT JOIN checks AS c USING (business_date, journal_key);
COMMENT ON VIEW gl.payroll_journals IS 'One row per payroll journal (pay run × legal entity): totals, whether it balances, and the outcome of its blocking checks with the reasons it is held. What the accountant and the poster look at before a pay run goes to D365.';
COMMENT ON COLUMN gl.payroll_journals.business_date IS 'Check date. Source: gl.payroll_journal_lines(business_date)';
COMMENT ON COLUMN gl.payroll_journals.journal_key IS 'The journal (usrt-2026-11-20-USD-P1a2b3c4d). Source: gl.payroll_journal_lines(journal_key)';
COMMENT ON COLUMN gl.payroll_journals.run_key IS 'Pay run. Source: gl.payroll_journal_lines(run_key)';
COMMENT ON COLUMN gl.payroll_journals.pay_group IS 'Pay group. Source: gl.payroll_journal_lines(pay_group)';
COMMENT ON COLUMN gl.payroll_journals.payroll_run_id IS 'Run id as the register names it. Source: gl.payroll_journal_lines(payroll_run_id)';
COMMENT ON COLUMN gl.payroll_journals.legal_entity IS 'D365 legal entity. Source: gl.payroll_journal_lines(legal_entity)';
COMMENT ON COLUMN gl.payroll_journals.currency IS 'Payroll currency. Source: gl.payroll_journal_lines(currency)';
COMMENT ON COLUMN gl.payroll_journals.base_currency IS 'Accounting currency of the legal entity. Source: gl.payroll_journal_lines(base_currency)';
COMMENT ON COLUMN gl.payroll_journals.fx_rate IS 'Rate to base currency. Source: gl.payroll_journal_lines(fx_rate)';
COMMENT ON COLUMN gl.payroll_journals.lines IS 'Lines built. Source: gl.payroll_journal_lines(line_key)';
COMMENT ON COLUMN gl.payroll_journals.lines_to_post IS 'Lines with a non-zero amount: what is sent to D365. Source: gl.payroll_journal_lines(amount)';
COMMENT ON COLUMN gl.payroll_journals.debit_total IS 'Sum of debits. Source: gl.payroll_journal_lines(debit_amount)';
COMMENT ON COLUMN gl.payroll_journals.credit_total IS 'Sum of credits, a positive figure. Source: gl.payroll_journal_lines(credit_amount)';
COMMENT ON COLUMN gl.payroll_journals.base_debit_total IS 'Sum of debits in base currency. Source: gl.payroll_journal_lines(base_debit_amount)';
COMMENT ON COLUMN gl.payroll_journals.base_credit_total IS 'Sum of credits in base currency. Source: gl.payroll_journal_lines(base_credit_amount)';
COMMENT ON COLUMN gl.payroll_journals.source_records IS 'Allocated items behind the lines. Source: gl.payroll_journal_lines(source_count)';
COMMENT ON COLUMN gl.payroll_journals.balanced IS 'True when debits equal credits, in transaction and base currency.';
COMMENT ON COLUMN gl.payroll_journals.checks_passed IS 'True when every blocking check passed when last evaluated; NULL when not evaluated. Source: gl.payroll_journal_checks(passed)';
COMMENT ON COLUMN gl.payroll_journals.failed_checks IS 'Names of the failing checks; NULL when none failed. Source: gl.payroll_journal_checks(check_name)';
COMMENT ON COLUMN gl.payroll_journals.hold_reasons IS 'Why the journal is held: each failing check with its detail; NULL when ready. Source: gl.payroll_journal_checks(detail)';
COMMENT ON COLUMN gl.payroll_journals.checks_evaluated_at IS 'When the checks last ran. Source: gl.payroll_journal_checks(evaluated_at)';
