-- The risk benchmark's trailing window, outside the measurement: the bench day's canonical rows
-- ($day) copied to each of the $window_days days before it, shifted by whole days, their ids
-- suffixed -H<n> so every copy is its own transaction, ticket, tender and batch. Feature files
-- read the same shapes and volumes as 28 real days; the model trains on them.
CREATE OR REPLACE TEMP TABLE bench_history_days AS
SELECT n, ($day - to_days(n::INTEGER))::DATE AS business_date, '-H' || n AS suffix
FROM range(1, $window_days + 1) AS t(n);

INSERT INTO canonical.payments
SELECT p.* REPLACE (
    d.business_date AS business_date, p.transaction_id || d.suffix AS transaction_id,
    p.batch_id || d.suffix AS batch_id, p.parent_transaction_id || d.suffix AS parent_transaction_id,
    p.time_created - to_days(d.n::INTEGER) AS time_created,
    p.local_time - to_days(d.n::INTEGER) AS local_time,
    p.source_event_id || d.suffix AS source_event_id)
FROM canonical.payments AS p, bench_history_days AS d
WHERE p.business_date = $day;

INSERT INTO canonical.pos_sales
SELECT s.* REPLACE (
    d.business_date AS business_date, s.ticket_id || d.suffix AS ticket_id,
    s.original_ticket_id || d.suffix AS original_ticket_id,
    s.opened_at - to_days(d.n::INTEGER) AS opened_at, s.closed_at - to_days(d.n::INTEGER) AS closed_at,
    s.local_closed_at - to_days(d.n::INTEGER) AS local_closed_at,
    s.source_event_id || d.suffix AS source_event_id)
FROM canonical.pos_sales AS s, bench_history_days AS d
WHERE s.business_date = $day;

INSERT INTO canonical.pos_sale_lines
SELECT l.* REPLACE (d.business_date AS business_date, l.ticket_id || d.suffix AS ticket_id)
FROM canonical.pos_sale_lines AS l, bench_history_days AS d
WHERE l.business_date = $day;

INSERT INTO canonical.pos_tenders
SELECT t.* REPLACE (
    d.business_date AS business_date, t.ticket_id || d.suffix AS ticket_id,
    t.tender_id || d.suffix AS tender_id,
    t.gateway_transaction_id || d.suffix AS gateway_transaction_id,
    t.local_closed_at - to_days(d.n::INTEGER) AS local_closed_at)
FROM canonical.pos_tenders AS t, bench_history_days AS d
WHERE t.business_date = $day;

INSERT INTO canonical.settlement_batches
SELECT b.* REPLACE (
    d.business_date AS business_date, b.batch_id || d.suffix AS batch_id,
    b.deposit_id || d.suffix AS deposit_id, (b.deposit_date - to_days(d.n::INTEGER))::DATE AS deposit_date,
    b.time_closed - to_days(d.n::INTEGER) AS time_closed,
    b.source_event_id || d.suffix AS source_event_id)
FROM canonical.settlement_batches AS b, bench_history_days AS d
WHERE b.business_date = $day;

INSERT INTO canonical.settlement_fees
SELECT f.* REPLACE (d.business_date AS business_date, f.batch_id || d.suffix AS batch_id)
FROM canonical.settlement_fees AS f, bench_history_days AS d
WHERE f.business_date = $day;

DROP TABLE bench_history_days;
