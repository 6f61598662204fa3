-- The business days of this run for one raw entity, written from the judged lines
-- (stage_ranked_events.sql) after clear_partition.sql emptied them, inside the caller's
-- transaction: raw rows, quarantine, duplicates and the conservation ledger move together or
-- not at all. The quarantine's and duplicates' rows are written, in the same transaction, by
-- quarantine_rejected_lines.sql and record_duplicate_events.sql when the load has any.
-- Parameters: $source, $entity, $first, $last (business days), $days (every day in the range).
INSERT INTO raw.{entity} BY NAME
SELECT * EXCLUDE (line, problems, reject_reason, reject_detail, delivery_rank,
                  loaded_segment_path, loaded_line_number)
FROM ranked_events
WHERE reject_reason IS NULL AND delivery_rank = 1;

INSERT INTO ops.partition_load_segments
SELECT DISTINCT $source, $entity, business_date, segment_path
FROM ranked_events
WHERE segment_path IS NOT NULL AND business_date BETWEEN $first AND $last;

INSERT INTO ops.partition_loads
SELECT
    $source, $entity, day,
    count(DISTINCT e.segment_path) FILTER (WHERE e.segment_path IS NOT NULL),
    count(e.line_number),
    count(*) FILTER (WHERE e.reject_reason IS NULL AND e.delivery_rank = 1),
    count(*) FILTER (WHERE e.reject_reason IS NULL AND e.delivery_rank > 1),
    count(*) FILTER (WHERE e.reject_reason IS NOT NULL),
    now()
FROM unnest($days::DATE[]) AS days(day)
LEFT JOIN ranked_events AS e ON e.business_date = days.day
GROUP BY day;
