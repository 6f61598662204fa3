-- A day's own settlement batch lines, one or a few per store, in one query.
SELECT CASE WHEN delivery_defect = 'malformed_json' THEN truncated_line(line) ELSE line END
FROM settlement_batches_envelopes
WHERE delivery_defect IS DISTINCT FROM 'late_event'
ORDER BY store_idx
