-- The outcome of an attempt once D365 answered (posted, already_in_d365, dead_lettered) or
-- the poster gave up (failed).
UPDATE gl.postings
SET status = $status, d365_journal_batch_number = $number, finished_at = now(), detail = $detail
WHERE attempt_id = $attempt_id
