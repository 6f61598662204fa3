-- What the loader recorded for each business day of $first..$last of one source entity:
-- segments and lines landed, and where the lines ended up. $source, $entity, $first, $last.
SELECT business_date, segments, landed, loaded, duplicates, quarantined
FROM ops.partition_loads
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last
ORDER BY business_date
