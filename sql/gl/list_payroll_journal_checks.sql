-- Every payroll journal check's outcome of the check dates $first..$last, as last evaluated: what
-- the payroll_journal_checks asset checks report.
SELECT check_name, business_date, journal_key, passed, detail
FROM gl.payroll_journal_checks
WHERE business_date BETWEEN $first AND $last
ORDER BY ALL
