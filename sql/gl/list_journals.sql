-- The journals of $first..$last with their totals and whether they may be posted: the summary
-- the general_ledger asset shows in the UI.
SELECT journal_key, lines, debit_total, credit_total, balanced, checks_passed, failed_checks
FROM gl.journals
WHERE business_date BETWEEN $first AND $last
ORDER BY journal_key
