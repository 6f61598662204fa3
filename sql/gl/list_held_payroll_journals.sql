-- The payroll journals of check date $day that their blocking checks hold back
-- (gl.payroll_journal_checks as last evaluated), with the reasons: what the poster records in
-- gl.postings, so a held pay run says which checks hold it and why.
SELECT journal_key, failed_checks, lines_to_post, hold_reasons
FROM gl.payroll_journals
WHERE business_date = $day AND NOT coalesce(checks_passed, false)
ORDER BY journal_key
