-- One chunk of the day's tickets as first uploaded: stores $first_store..$end_store (exclusive),
-- their slots $first..$end (exclusive), in time order per store (a cash ticket just before its
-- slot's own ticket). The day's last chunk ($with_edits) also takes the tickets edited after
-- upload (version 2), after all others: every chunk is a query, and binding one costs more
-- than rendering a demo store's tickets, so a chunk takes as many stores as fit.
SELECT line FROM retail_tickets_documents
WHERE (
    version = 1
    AND store_idx >= $first_store AND store_idx < $end_store
    AND slot >= $first AND slot < $end
) OR (version = 2 AND $with_edits)
ORDER BY version, store_idx, slot, ordinal
