-- Rebuild recon.gl_vs_d365 for $day from d365_read_lines (the lines read back from D365 under the
-- day's keys, loaded by the read-back asset) and the day's posted journals.
DELETE FROM recon.gl_vs_d365 WHERE business_date = $day;

INSERT INTO recon.gl_vs_d365
WITH posted_journals AS (
    SELECT DISTINCT journal_key FROM gl.posted_lines WHERE business_date = $day
),
ours AS (
    SELECT journal_key, account_display_value, currency, amount
    FROM gl.journal_lines
    WHERE business_date = $day AND line_type = 'posting' AND amount <> 0
      AND journal_key IN (SELECT journal_key FROM posted_journals)
    UNION ALL
    -- Pay runs whose check date the day is (gl.payroll_journal_lines, keyed per run).
    SELECT journal_key, account_display_value, currency, amount
    FROM gl.payroll_journal_lines
    WHERE business_date = $day AND amount <> 0
      AND journal_key IN (SELECT journal_key FROM posted_journals)
    UNION ALL
    -- Customer payment journals: per customer, credited (negative) by the order payments.
    SELECT journal_key, 'Cust ' || customer_account, currency, -sum(amount)
    FROM gl.customer_payments
    WHERE business_date = $day
      AND journal_key IN (SELECT DISTINCT journal_key FROM gl.posted_customer_payments
                          WHERE business_date = $day)
    GROUP BY ALL
),
theirs AS (
    -- Base-currency rounding lines of foreign-currency journals are D365's conversion, not a
    -- journal line of ours: they are compared as the journal's balance, not per account.
    SELECT journal_key, account_display_value, currency, sum(debit - credit) AS amount,
           string_agg(DISTINCT journal_batch_number, ', ' ORDER BY journal_batch_number) AS journals
    FROM d365_read_lines
    WHERE currency = journal_currency
    GROUP BY ALL
)
SELECT $day, coalesce(o.journal_key, t.journal_key),
       coalesce(o.account_display_value, t.account_display_value),
       coalesce(o.currency, t.currency), o.amount, t.amount,
       coalesce(t.amount, 0) - coalesce(o.amount, 0), t.journals,
       CASE
           WHEN o.amount IS NULL AND t.amount <> 0 THEN 'not_in_journal'
           WHEN t.amount IS NULL THEN 'missing_in_d365'
           WHEN t.amount = o.amount THEN 'matched'
           ELSE 'difference'
       END,
       now()
FROM ours AS o
FULL OUTER JOIN theirs AS t USING (journal_key, account_display_value)
WHERE coalesce(o.amount, 0) <> 0 OR coalesce(t.amount, 0) <> 0;
