-- The journals of $day that their blocking checks hold back (gl.journal_checks as last
-- evaluated), each failing check with its reason: what the poster records in gl.postings and
-- the posting step shows, so a held day says which checks hold it and why.
SELECT j.journal_key, j.legal_entity, j.currency, j.failed_checks, j.lines_to_post,
       string_agg(c.check_name || ': ' || c.detail, '; ' ORDER BY c.check_name) AS reasons
FROM gl.journals AS j
LEFT JOIN gl.journal_checks AS c
  ON c.business_date = j.business_date AND c.journal_key = j.journal_key AND NOT c.passed
WHERE j.business_date = $day AND NOT coalesce(j.checks_passed, false)
GROUP BY j.journal_key, j.legal_entity, j.currency, j.failed_checks, j.lines_to_post
ORDER BY j.journal_key
