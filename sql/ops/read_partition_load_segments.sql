-- The segments the last raw load of an entity read, per business day ($source, $entity, $first,
-- $last): the conservation check recounts them.
SELECT business_date, segment_path
FROM ops.partition_load_segments
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;
