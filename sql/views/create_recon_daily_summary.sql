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
COMMENT ON COLUMN recon.daily_summary.business_date IS 'Business day. Source: recon.deposits(business_date)';
COMMENT ON COLUMN recon.daily_summary.store_id IS 'Store; NULL for money of a merchant id not in mappings/stores.csv. Source: recon.deposits(store_id)';
COMMENT ON COLUMN recon.daily_summary.currency IS 'Currency of the money columns of the row (the store''s). Source: recon.deposits(currency)';
COMMENT ON COLUMN recon.daily_summary.gross_sales IS 'Captured card sales, tips included. Source: recon.deposits(gross_sales)';
COMMENT ON COLUMN recon.daily_summary.refunds IS 'Captured card refunds, as a positive figure. Source: recon.deposits(refunds)';
COMMENT ON COLUMN recon.daily_summary.fees IS 'Processing fees the batches withheld. Source: recon.deposits(fees)';
COMMENT ON COLUMN recon.daily_summary.expected_deposit IS 'gross_sales - refunds - fees + adjustments: what should reach the bank. Source: recon.deposits(expected_deposit)';
COMMENT ON COLUMN recon.daily_summary.reported_deposit IS 'Deposits Heartland reported for the day''s batches; NULL when no batch arrived. Source: recon.deposits(reported_deposit)';
COMMENT ON COLUMN recon.daily_summary.deposit_difference IS 'reported_deposit - expected_deposit. Source: recon.deposits(deposit_difference)';
COMMENT ON COLUMN recon.daily_summary.batches IS 'Rows of recon.settlement_vs_transactions for the store and day: each settlement batch, and each group of captured transactions naming a batch Heartland did not report (or none). Source: recon.settlement_vs_transactions(batch_id)';
COMMENT ON COLUMN recon.daily_summary.batches_matched IS 'Of those, matched or within tolerance. Source: recon.settlement_vs_transactions(status)';
COMMENT ON COLUMN recon.daily_summary.card_tenders IS 'POS card tenders of closed tickets. Source: recon.tenders_vs_gateway(tender_id)';
COMMENT ON COLUMN recon.daily_summary.tenders_matched IS 'Card tenders matched to a gateway transaction at the same amount. Source: recon.tenders_vs_gateway(status)';
COMMENT ON COLUMN recon.daily_summary.tender_match_rate_percent IS '100 x tenders_matched / card_tenders, 2 decimals (a ratio, not money); NULL when the store had no card tender.';
COMMENT ON COLUMN recon.daily_summary.unmatched_transactions IS 'Captured gateway transactions no POS tender and no D365 sales order accounts for. Source: recon.tenders_vs_gateway(status)';
COMMENT ON COLUMN recon.daily_summary.sales_order_payments IS 'Captured gateway transactions paying a D365 sales order (phone or web orders): accounted for without a tender, not exceptions. Source: recon.tenders_vs_gateway(status)';
COMMENT ON COLUMN recon.daily_summary.open_exceptions IS 'Exceptions of the store and day still open and still detected (the D365 read-back''s, which have no store, are not counted here). Source: recon.exceptions(exception_id)';
COMMENT ON COLUMN recon.daily_summary.open_exceptions_by_kind IS 'Those exceptions counted by kind; NULL when none. Source: recon.exceptions(kind)';
COMMENT ON COLUMN recon.daily_summary.amount_at_risk IS 'Sum of their amount_at_risk, in currency; 0 when none. Source: recon.exceptions(amount_at_risk)';
COMMENT ON COLUMN recon.daily_summary.day_refused_requests IS 'Requests the webhook receiver refused (400, 413, 422) on this business day, or received on it when the day was unknowable, for ALL stores together: the same figure on every store row of the day, so do not sum it across stores. Source: ops.receiver_refusals(refusals)';
COMMENT ON COLUMN recon.daily_summary.day_refused_by_reason IS 'day_refused_requests per reason code (not_json, not_an_object, bad_shape, too_large, unknown_event_type); NULL when none. Source: ops.receiver_refusals(reason_code)';
