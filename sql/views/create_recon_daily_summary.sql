-- What an accountant reads first: per day and store, the money, how much matched, what is
-- still open and at risk, and the requests the webhook receiver refused that day.
CREATE OR REPLACE VIEW recon.daily_summary AS
WITH batches AS (
    SELECT business_date, store_id, count(*) AS batches,
           count(*) FILTER (WHERE status IN ('matched', 'within_tolerance')) AS batches_matched
    FROM recon.settlement_vs_transactions GROUP BY ALL
),
tenders AS (
    SELECT business_date, store_id,
           count(*) FILTER (WHERE tender_id IS NOT NULL) AS card_tenders,
           count(*) FILTER (WHERE status = 'matched') AS tenders_matched,
           count(*) FILTER (WHERE status = 'gateway_transaction_without_tender') AS unmatched_transactions,
           -- phone and web payments of D365 sales orders: accounted for, though no tender matches them
           count(*) FILTER (WHERE status = 'sales_order_payment') AS sales_order_payments
    FROM recon.tenders_vs_gateway GROUP BY ALL
),
open_exceptions AS (
    SELECT business_date, store_id, sum(n) AS open_exceptions,
           map(list(kind ORDER BY kind), list(n ORDER BY kind)) AS open_exceptions_by_kind,
           sum(amount) AS amount_at_risk
    FROM (
        SELECT business_date, store_id, kind, count(*) AS n, sum(amount_at_risk) AS amount
        FROM recon.exceptions WHERE status = 'open' GROUP BY ALL
    ) GROUP BY ALL
),
-- A refused request names no store the receiver could trust: the day's count, on each store's row.
refused AS (
    SELECT business_date, sum(refusals) AS refused_requests,
           map_from_entries(list((reason_code, refusals) ORDER BY reason_code)) AS refused_by_reason
    FROM (SELECT business_date, reason_code, sum(refusals) AS refusals FROM ops.receiver_refusals GROUP BY ALL)
    GROUP BY business_date
)
SELECT
    d.business_date, d.store_id, d.currency, d.gross_sales, d.refunds, d.fees,
    d.expected_deposit, d.reported_deposit, d.deposit_difference,
    coalesce(b.batches, 0) AS batches, coalesce(b.batches_matched, 0) AS batches_matched,
    coalesce(t.card_tenders, 0) AS card_tenders, coalesce(t.tenders_matched, 0) AS tenders_matched,
    round(100.0 * t.tenders_matched / nullif(t.card_tenders, 0), 2) AS tender_match_rate_percent,
    coalesce(t.unmatched_transactions, 0) AS unmatched_transactions,
    coalesce(t.sales_order_payments, 0) AS sales_order_payments,
    coalesce(o.open_exceptions, 0) AS open_exceptions,
    o.open_exceptions_by_kind,
    coalesce(o.amount_at_risk, 0) AS amount_at_risk,
    coalesce(r.refused_requests, 0) AS day_refused_requests,
    r.refused_by_reason AS day_refused_by_reason
FROM recon.deposits AS d
LEFT JOIN batches AS b USING (business_date, store_id)
LEFT JOIN tenders AS t USING (business_date, store_id)
LEFT JOIN open_exceptions AS o USING (business_date, store_id)
LEFT JOIN refused AS r USING (business_date);
COMMENT ON VIEW recon.daily_summary IS 'Per day and store: totals, deposit expected vs reported, batches and tenders matched, gateway transactions left without a tender and those paying D365 sales orders, open exceptions by kind and the money at risk, and the requests the webhook receiver refused that day (all stores together). Read this first.';
COMMENT ON COLUMN recon.daily_summary.day_refused_requests IS 'Requests the webhook receiver refused (400, 413, 422) on this business day, or received on it when the day was unknowable, for ALL stores together: the same figure on every store row of the day, so do not sum it across stores. Source: ops.receiver_refusals(refusals)';
COMMENT ON COLUMN recon.daily_summary.day_refused_by_reason IS 'day_refused_requests per reason code (not_json, not_an_object, bad_shape, too_large, unknown_event_type); NULL when none. Source: ops.receiver_refusals(reason_code)';
