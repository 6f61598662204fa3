-- The demo's journals: one per legal entity, day and currency, and whether each may be posted.
-- lines_to_post leaves out the lines that net to zero, which D365 is never sent.
SELECT business_date, journal_key, lines, lines_to_post, debit_total, balanced, checks_passed,
       coalesce(failed_checks, '')
FROM gl.journals
ORDER BY business_date, journal_key
