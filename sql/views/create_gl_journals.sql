-- One row per journal: its totals, whether it balances, and whether its blocking checks passed
-- when last evaluated. What an accountant (and the poster) looks at before anything goes to D365.
CREATE OR REPLACE VIEW gl.journals AS
WITH totals AS (
    SELECT business_date, journal_key, any_value(legal_entity) AS legal_entity,
           any_value(currency) AS currency, any_value(base_currency) AS base_currency,
           any_value(fx_rate) AS fx_rate, count(*) AS lines,
           count(*) FILTER (WHERE amount <> 0 OR base_amount <> 0) AS lines_to_post,
           sum(debit_amount) AS debit_total, sum(credit_amount) AS credit_total,
           sum(base_debit_amount) AS base_debit_total, sum(base_credit_amount) AS base_credit_total,
           sum(base_amount) FILTER (WHERE line_type = 'rounding') AS rounding_amount,
           sum(source_count) AS source_records
    FROM gl.journal_lines
    GROUP BY business_date, journal_key
),
checks AS (
    SELECT business_date, journal_key, bool_and(passed) AS checks_passed,
           string_agg(check_name, ', ' ORDER BY check_name) FILTER (WHERE NOT passed) AS failed_checks,
           max(evaluated_at) AS checks_evaluated_at
    FROM gl.journal_checks
    GROUP BY business_date, journal_key
)
SELECT t.*,
       t.debit_total = t.credit_total AND t.base_debit_total = t.base_credit_total AS balanced,
       c.checks_passed, c.failed_checks, c.checks_evaluated_at
FROM totals AS t
LEFT JOIN checks AS c USING (business_date, journal_key);
COMMENT ON VIEW gl.journals IS 'One row per daily journal (legal entity, business day, currency): line counts, debit and credit totals in transaction and base currency, whether it balances, and the outcome of its blocking checks as last evaluated. What an accountant, and the poster, look at before anything goes to D365.';
COMMENT ON COLUMN gl.journals.business_date IS 'Business day the journal covers. Source: gl.journal_lines(business_date)';
COMMENT ON COLUMN gl.journals.journal_key IS 'The journal: legal entity, business day and currency (usrt-2026-11-20-USD). Source: gl.journal_lines(journal_key)';
COMMENT ON COLUMN gl.journals.legal_entity IS 'D365 legal entity (dataAreaId). Source: gl.journal_lines(legal_entity)';
COMMENT ON COLUMN gl.journals.currency IS 'Transaction currency of the journal. Source: gl.journal_lines(currency)';
COMMENT ON COLUMN gl.journals.base_currency IS 'Accounting currency of the legal entity. Source: gl.journal_lines(base_currency)';
COMMENT ON COLUMN gl.journals.fx_rate IS 'Rate from currency to base_currency used for the day. Source: gl.journal_lines(fx_rate)';
COMMENT ON COLUMN gl.journals.lines IS 'Lines built, one per account and dimension combination, including lines that net to zero and the rounding line. Source: gl.journal_lines(line_key)';
COMMENT ON COLUMN gl.journals.lines_to_post IS 'Lines with a non-zero amount or base amount: what is sent to D365. Lines that net to zero are not posted. Source: gl.journal_lines(amount, base_amount)';
COMMENT ON COLUMN gl.journals.debit_total IS 'Sum of debits in transaction currency. Source: gl.journal_lines(debit_amount)';
COMMENT ON COLUMN gl.journals.credit_total IS 'Sum of credits in transaction currency, a positive figure. Source: gl.journal_lines(credit_amount)';
COMMENT ON COLUMN gl.journals.base_debit_total IS 'Sum of debits in base currency. Source: gl.journal_lines(base_debit_amount)';
COMMENT ON COLUMN gl.journals.base_credit_total IS 'Sum of credits in base currency, a positive figure. Source: gl.journal_lines(base_credit_amount)';
COMMENT ON COLUMN gl.journals.rounding_amount IS 'Base-currency amount on the rounding line (conversion rounding that makes the journal balance to the cent; debit positive); NULL when the journal needed none. Source: gl.journal_lines(base_amount)';
COMMENT ON COLUMN gl.journals.source_records IS 'Source records behind the journal''s lines (rows of gl.journal_line_sources). Source: gl.journal_lines(source_count)';
COMMENT ON COLUMN gl.journals.balanced IS 'True when debits equal credits in transaction currency and in base currency.';
COMMENT ON COLUMN gl.journals.checks_passed IS 'True when every blocking check of the journal passed when last evaluated; false when one failed; NULL when the checks have not run for it. Source: gl.journal_checks(passed)';
COMMENT ON COLUMN gl.journals.failed_checks IS 'Names of the checks that failed, comma separated (see gl.journal_checks.detail); NULL when none failed. Source: gl.journal_checks(check_name)';
COMMENT ON COLUMN gl.journals.checks_evaluated_at IS 'When the checks last ran on the journal (UTC). Source: gl.journal_checks(evaluated_at)';
