-- The demo's journals: one per legal entity, day and currency, and whether each may be posted.
SELECT business_date, journal_key, lines, debit_total, balanced, checks_passed,
       coalesce(failed_checks, '')
FROM gl.journals
ORDER BY business_date, journal_key
