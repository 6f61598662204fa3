-- The day's tickets edited after upload (version 2), appended after the day's own tickets.
SELECT line FROM retail_tickets_documents
WHERE version = 2
ORDER BY store_idx, slot, ordinal
