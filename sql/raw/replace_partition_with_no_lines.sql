-- replace_partition.sql for a range with no landing segment (raw_loader.py): what it leaves when
-- no line was staged, without the screens and the parse. The range's raw rows, quarantine and
-- duplicates go; each day's load is recorded with zero segments and lines.
-- Parameters: $source, $entity, $first, $last (business days), $days (every day in the range).
DELETE FROM raw.{entity} WHERE business_date BETWEEN $first AND $last;

DELETE FROM ops.quarantine
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.duplicate_events
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.partition_loads
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.partition_load_segments
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

INSERT INTO ops.partition_loads
SELECT $source, $entity, day, 0, 0, 0, 0, 0, now()
FROM unnest($days::DATE[]) AS days(day);
