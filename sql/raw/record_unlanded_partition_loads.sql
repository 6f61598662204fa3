-- The conservation ledger of a range with no landing segment (raw_loader.py: nothing staged,
-- screened or parsed), after clear_partition.sql: each day a row of zeros, as
-- replace_partition.sql records a day none of whose lines landed.
-- Parameters: $source, $entity, $days (every day in the range).
INSERT INTO ops.partition_loads
SELECT $source, $entity, day, 0, 0, 0, 0, 0, now()
FROM unnest($days::DATE[]) AS days(day);
