-- Every blocking check's outcome per journal of $first..$last, as last evaluated: what the
-- journal_checks asset checks report (and which journals they hold back, and why).
SELECT check_name, business_date, journal_key, passed, detail
FROM gl.journal_checks
WHERE business_date BETWEEN $first AND $last
ORDER BY ALL
