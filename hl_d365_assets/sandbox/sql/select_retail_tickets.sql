-- A day small enough for one chunk, in one query (binding the ticket view costs more than
-- rendering a demo day): its tickets as first uploaded, then those edited after upload.
SELECT line FROM retail_tickets_documents
ORDER BY version, store_idx, slot, ordinal
