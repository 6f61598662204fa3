-- One chunk of the day's tickets as first uploaded: stores $first_store..$end_store (exclusive),
-- their slots $first..$end (exclusive), in time order per store (a cash ticket just before its
-- slot's own ticket). Plain conjunctions, so the range reaches the scan of `tickets`.
SELECT line FROM retail_tickets_documents
WHERE version = 1
    AND store_idx >= $first_store AND store_idx < $end_store
    AND slot >= $first AND slot < $end
ORDER BY store_idx, slot, ordinal
