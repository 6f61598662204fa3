-- Every idempotency key a posting attempt of the day carried (recorded before it left), so the
-- read-back can ask D365 for each by its exact key, whether or not the prefix listing works.
SELECT DISTINCT legal_entity, idempotency_key
FROM gl.postings
WHERE business_date = $day
  AND idempotency_key IS NOT NULL
ORDER BY legal_entity, idempotency_key
