-- The lines of a general journal D365 now holds, one row each (executed per line): what later
-- runs subtract to post only differences, and what the read-back compares.
INSERT INTO gl.posted_lines (
    idempotency_key, business_date, journal_key, legal_entity, currency, sequence,
    d365_journal_batch_number, d365_line_number, line_key, account_display_value, amount,
    posted_at
)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
