-- After replace_partition.sql, inside the same transaction, for the payroll and bank entities:
-- what the raw layer keeps of a rejected line has its employee data masked too (quarantine copy,
-- reasons, event ids), and a line blocked for employee data gets the audit entry and alert a card
-- number gets (docs/payroll-intake.md). The copy is rebuilt from the line, masked whole before
-- the cut (a number straddling the cut keeps no clear head) and again after it.
-- $source, $entity, $first, $last.
-- One masking step per CTE: a macro copies its argument wherever its body names it, so nesting
-- the masks in one expression would multiply them.
UPDATE ops.quarantine AS q
SET
    event_id = mask_personal_data(q.event_id),
    reason_detail = mask_personal_data(q.reason_detail),
    masked_payload = masked.line
FROM (
    WITH cards_masked AS (
        SELECT segment_path, line_number, mask_card_numbers(line) AS line
        FROM ranked_events WHERE reject_reason IS NOT NULL
    ),
    cut AS (
        SELECT segment_path, line_number, left(mask_personal_data(line), 4096) AS line
        FROM cards_masked
    ),
    cut_cards_masked AS (
        SELECT segment_path, line_number, mask_card_numbers(line) AS line FROM cut
    )
    SELECT segment_path, line_number, mask_personal_data(line) AS line FROM cut_cards_masked
) AS masked
WHERE q.source = $source AND q.entity = $entity AND q.business_date BETWEEN $first AND $last
    AND masked.segment_path = q.segment_path AND masked.line_number = q.line_number;

UPDATE ops.duplicate_events
SET event_id = mask_personal_data(event_id)
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last
    AND personal_data_candidates(event_id);

INSERT OR IGNORE INTO ops.audit_log
SELECT
    md5(concat_ws('|', replace(reason_code, '_detected', '_blocked'), segment_path, line_number)),
    now(), replace(reason_code, '_detected', '_blocked'), $source, $entity, business_date,
    segment_path, line_number, reason_detail
FROM ops.quarantine
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last
    AND list_contains(personal_data_reasons(), reason_code);

INSERT OR IGNORE INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT
    md5(concat_ws('|', 'personal_data_received', $source, $entity, business_date)),
    now(), 'critical', 'personal_data_received', business_date,
    count(*) || ' ' || $source || '/' || $entity || ' line(s) of ' || business_date
        || ' carried employee data (' || string_agg(DISTINCT reason_code, ', ' ORDER BY reason_code)
        || ') and were quarantined masked; find where the export picks it up and stop it.'
FROM ops.quarantine
WHERE source = $source AND entity = $entity AND business_date BETWEEN $first AND $last
    AND list_contains(personal_data_reasons(), reason_code)
GROUP BY business_date;
