-- What an accountant reads first: per day and store, the money, how much matched, and what is
-- still open and at risk.
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
        FROM recon.exceptions WHERE status = 'open' AND still_detected GROUP BY ALL
    ) GROUP BY ALL
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
    coalesce(o.amount_at_risk, 0) AS amount_at_risk
FROM recon.deposits AS d
LEFT JOIN batches AS b USING (business_date, store_id)
LEFT JOIN tenders AS t USING (business_date, store_id)
LEFT JOIN open_exceptions AS o USING (business_date, store_id);
COMMENT ON VIEW recon.daily_summary IS 'Per day and store: totals, deposit expected vs reported, batches and tenders matched, gateway transactions left without a tender and those paying D365 sales orders, open exceptions by kind and the money at risk. Read this first.';
