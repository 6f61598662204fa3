-- One chunk of a day's own {entity} lines: one store's slots $first..$end (exclusive), in
-- landing order. A malformed_json line comes cut short in its place; late events are held back
-- for a later segment.
SELECT CASE WHEN delivery_defect = 'malformed_json' THEN truncated_line(line) ELSE line END
FROM {entity}_envelopes
WHERE delivery_defect IS DISTINCT FROM 'late_event'
  AND store_idx = $store_idx AND slot >= $first AND slot < $end
ORDER BY slot, ordinal
