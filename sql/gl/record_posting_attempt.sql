-- One attempt to post a journal, recorded before anything leaves for D365 (status 'sending'),
-- or a journal held back by its checks (status 'blocked', finished at once).
INSERT INTO gl.postings (
    attempt_id, business_date, journal_key, legal_entity, currency, journal_kind, sequence,
    idempotency_key, lines, debit_total, status, started_at, finished_at, detail
)
VALUES (
    $attempt_id, $business_date, $journal_key, $legal_entity, $currency, $journal_kind, $sequence,
    $idempotency_key, $lines, $debit_total, $status, now(),
    CASE WHEN $status = 'blocked' THEN now() END, $detail
)
