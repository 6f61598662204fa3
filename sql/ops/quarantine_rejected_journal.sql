-- A journal D365 rejected, parked with D365's own error body; a later rejection of the same
-- key replaces it (one row per key and line).
INSERT INTO ops.quarantine (
    source, entity, business_date, segment_path, line_number, event_id, reason_code,
    reason_detail, masked_payload, payload_bytes, quarantined_at
)
VALUES ('d365', $entity, $day, $path, $line, NULL, 'd365_rejected', $detail, $body, $bytes, now())
ON CONFLICT (segment_path, line_number) DO UPDATE SET
    reason_detail = excluded.reason_detail,
    masked_payload = excluded.masked_payload,
    payload_bytes = excluded.payload_bytes,
    quarantined_at = excluded.quarantined_at
