-- The {entity} lines landed again after the day's own segments: $delivery is
-- duplicate_delivery (a second copy) or late_event (held back).
SELECT line FROM {entity}_envelopes WHERE delivery_defect = $delivery
ORDER BY store_idx, slot, ordinal
