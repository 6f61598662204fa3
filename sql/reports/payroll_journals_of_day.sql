-- The pay runs' journals of a check date: totals, whether each may be posted and why not, and the
-- D365 journal batch it was posted as. What the payroll demo act and benchmark print.
SELECT j.journal_key, j.run_key, j.pay_group, j.payroll_run_id, j.lines, j.debit_total,
       j.credit_total, j.balanced, coalesce(j.checks_passed AND j.balanced, false) AS ready,
       coalesce(j.hold_reasons, '') AS hold_reasons,
       coalesce(string_agg(DISTINCT p.d365_journal_batch_number, ', '), '') AS d365_journals
FROM gl.payroll_journals AS j
LEFT JOIN gl.postings AS p
    ON p.journal_key = j.journal_key AND p.status IN ('posted', 'already_in_d365')
WHERE j.business_date = $day
GROUP BY ALL
ORDER BY j.pay_group DESC, j.journal_key
