-- The payroll journals of the check dates $first..$last with their totals and whether they may be
-- posted, and why not: the summary the payroll_ledger asset shows in the UI.
SELECT journal_key, payroll_run_id, lines, debit_total, credit_total, balanced, checks_passed,
       hold_reasons
FROM gl.payroll_journals
WHERE business_date BETWEEN $first AND $last
ORDER BY journal_key
