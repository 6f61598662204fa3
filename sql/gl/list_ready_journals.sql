-- The journals of $day whose blocking checks passed: held back all the same while the GL
-- mapping names something D365 lacks (ops.d365_mapping_validation).
SELECT journal_key, legal_entity, currency, lines_to_post
FROM gl.journals
WHERE business_date = $day AND coalesce(checks_passed, false)
ORDER BY journal_key
