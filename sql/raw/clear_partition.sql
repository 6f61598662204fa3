-- Empty the business days of this run for one raw entity, inside the caller's transaction (raw
-- rows, quarantine, duplicates, the conservation ledger and its segments): every load replaces
-- its range, then replace_partition.sql writes what the judged lines hold, or, when nothing
-- landed for the range, record_unlanded_partition_loads.sql records it.
-- Parameters: $source, $entity, $first, $last (business days).
DELETE FROM raw.{entity} WHERE business_date BETWEEN $first AND $last;

DELETE FROM ops.quarantine
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.duplicate_events
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.partition_loads
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.partition_load_segments
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;
