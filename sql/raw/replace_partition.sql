-- Replace the business days of this run for one raw entity, inside the caller's transaction:
-- raw rows, quarantine, duplicates and the conservation ledger move together or not at all.
-- Parameters: $source, $entity, $first, $last (business days), $days (every day in the range).
DELETE FROM raw.{entity} WHERE business_date BETWEEN $first AND $last;

INSERT INTO raw.{entity} BY NAME
SELECT * EXCLUDE (line, problems, reject_reason, reject_detail, delivery_rank,
                  loaded_segment_path, loaded_line_number)
FROM ranked_events
WHERE reject_reason IS NULL AND delivery_rank = 1;

DELETE FROM ops.quarantine
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

-- Mask the whole line, then cut: cutting first leaves a PAN that straddles the cut with its head
-- in clear. Masked once more after the cut, because the cut can turn a run that was no PAN (too
-- long, or glued to a letter after it) into one that is. The first pass is its own CTE column:
-- a macro nested in itself is expanded into every place its argument appears, and binding
-- mask_card_numbers(left(mask_card_numbers(line), 4096)) took 0.3-0.6 s per load on any day.
INSERT INTO ops.quarantine
WITH rejected AS (
    SELECT
        business_date, segment_path, line_number, event_id, reject_reason, reject_detail,
        regexp_extract(line, '"event_id"\s*:\s*"([^"]{1,200})"', 1) AS line_event_id,
        left(mask_card_numbers(line), 4096) AS line_masked_cut,
        strlen(line) AS line_bytes
    FROM ranked_events
    WHERE reject_reason IS NOT NULL
)
SELECT
    $source, $entity, business_date, segment_path, line_number,
    mask_card_numbers(coalesce(nullif(event_id, ''), nullif(line_event_id, ''))),
    reject_reason,
    mask_card_numbers(reject_detail),
    mask_card_numbers(line_masked_cut),
    line_bytes,
    now()
FROM rejected;

DELETE FROM ops.duplicate_events
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

-- A redelivery of a quarantined event is a duplicate too, and its event id may be the very text
-- that got it quarantined: masked like the quarantine's own copy.
INSERT INTO ops.duplicate_events
SELECT $source, $entity, business_date, mask_card_numbers(event_id), segment_path, line_number,
       loaded_segment_path, loaded_line_number
FROM ranked_events
WHERE reject_reason IS NULL AND delivery_rank > 1;

INSERT OR IGNORE INTO ops.audit_log
SELECT
    md5(concat_ws('|', 'card_number_blocked', segment_path, line_number)),
    now(), 'card_number_blocked', $source, $entity, business_date, segment_path, line_number,
    mask_card_numbers(reject_detail)
FROM ranked_events
WHERE reject_reason = 'card_number_detected';

INSERT OR IGNORE INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT
    md5(concat_ws('|', 'card_number_received', $source, $entity, business_date)),
    now(), 'critical', 'card_number_received', business_date,
    count(*) || ' ' || $entity || ' record(s) of ' || business_date
        || ' carried a full card number and were quarantined masked; find the sender and stop it.'
FROM ranked_events
WHERE reject_reason = 'card_number_detected'
GROUP BY business_date;

DELETE FROM ops.partition_loads
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

DELETE FROM ops.partition_load_segments
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last;

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
