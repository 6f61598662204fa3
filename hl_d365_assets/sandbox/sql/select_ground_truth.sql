-- The day's injected defects in ground-truth order: by kind (in the order of $kinds,
-- sandbox.defects.DEFECT_KINDS), then as they were picked.
SELECT kind, entity, event_id, business_key, detail
FROM defects
ORDER BY list_position($kinds::VARCHAR[], kind), pick, entity, store_idx, slot, ordinal
