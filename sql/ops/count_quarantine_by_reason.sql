-- Quarantined records of one source entity over $first..$last, per reason.
-- $source, $entity, $first, $last.
SELECT reason_code, count(*) FROM ops.quarantine
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last
GROUP BY reason_code ORDER BY reason_code
