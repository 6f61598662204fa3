-- What to send to D365 for the pay runs of check date $day: per payroll journal whose blocking
-- checks passed, each account's amount now less everything already posted for it
-- (gl.posted_lines). The first posting is sequence 0; a corrected run after posting is an
-- adjustment of the difference per account under the next sequence, never an edit.
WITH ready AS (
    SELECT journal_key FROM gl.payroll_journals WHERE business_date = $day AND checks_passed
),
now_lines AS (
    SELECT journal_key, legal_entity, currency, base_currency, fx_rate, payroll_run_id, line_key,
           account_display_value, amount, text
    FROM gl.payroll_journal_lines
    WHERE business_date = $day AND journal_key IN (SELECT journal_key FROM ready)
),
posted AS (
    SELECT journal_key, account_display_value, sum(amount) AS amount
    FROM gl.posted_lines
    WHERE business_date = $day AND journal_key IN (SELECT journal_key FROM ready)
    GROUP BY ALL
),
sequences AS (
    SELECT journal_key, count(DISTINCT idempotency_key) AS next_sequence
    FROM gl.posted_lines
    WHERE business_date = $day AND journal_key IN (SELECT journal_key FROM ready)
    GROUP BY ALL
),
journals AS (
    SELECT DISTINCT journal_key, legal_entity, currency, base_currency, fx_rate, payroll_run_id
    FROM now_lines
),
deltas AS (
    SELECT coalesce(n.journal_key, p.journal_key) AS journal_key, n.line_key,
           coalesce(n.account_display_value, p.account_display_value) AS account_display_value,
           coalesce(n.amount, 0) - coalesce(p.amount, 0) AS delta, n.text
    FROM now_lines AS n
    FULL OUTER JOIN posted AS p
      ON p.journal_key = n.journal_key AND p.account_display_value = n.account_display_value
)
SELECT j.journal_key, j.base_currency, j.fx_rate, coalesce(s.next_sequence, 0) AS sequence,
       d.line_key, d.account_display_value, d.delta,
       CASE WHEN coalesce(s.next_sequence, 0) = 0 THEN d.text
            ELSE 'Adjustment ' || j.payroll_run_id || ' ' || d.account_display_value
       END
FROM deltas AS d
JOIN journals AS j USING (journal_key)
LEFT JOIN sequences AS s USING (journal_key)
WHERE d.delta <> 0
ORDER BY j.journal_key, d.account_display_value
