-- The exceptions a business rule stands by now for $first..$last, by id: what its check reports.
-- $prefix: 'rule=<name>, %'.
SELECT exception_id
FROM recon.exceptions
WHERE kind = 'business_rule' AND still_detected AND source_keys LIKE $prefix
  AND business_date BETWEEN $first AND $last
ORDER BY exception_id
