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
