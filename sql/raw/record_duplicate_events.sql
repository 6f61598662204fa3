-- The load's redeliveries into ops.duplicate_events; after replace_partition.sql, in its
-- transaction, when the load has any (raw_loader.py). Parameters: $source, $entity.

-- A redelivery of a quarantined event is a duplicate too, and its event id may be the very text
-- that got it quarantined: masked like the quarantine's own copy.
INSERT INTO ops.duplicate_events
SELECT $source, $entity, business_date, mask_card_numbers(event_id), segment_path, line_number,
       loaded_segment_path, loaded_line_number
FROM ranked_events
WHERE reject_reason IS NULL AND delivery_rank > 1;
