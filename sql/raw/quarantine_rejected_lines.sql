-- The load's rejected lines into ops.quarantine, masked, with the audit entry and the alert a
-- card number raises; after replace_partition.sql, in its transaction, when ranked_events holds
-- a rejected line (raw_loader.py). Parameters: $source, $entity.

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
