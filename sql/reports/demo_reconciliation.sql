-- The demo's per-day reconciliation: batches and tenders matched, open exceptions by kind.
WITH days AS (
    SELECT DISTINCT business_date FROM recon.settlement_vs_transactions
    UNION SELECT DISTINCT business_date FROM recon.tenders_vs_gateway
),
batches AS (
    SELECT business_date,
           count(*) FILTER (WHERE status IN ('matched', 'within_tolerance')) AS matched,
           count(*) AS total
    FROM recon.settlement_vs_transactions GROUP BY ALL
),
tenders AS (
    SELECT business_date, count(*) FILTER (WHERE status = 'matched') AS matched,
           count(*) FILTER (WHERE tender_id IS NOT NULL) AS total
    FROM recon.tenders_vs_gateway GROUP BY ALL
),
open_exceptions AS (
    SELECT business_date, string_agg(kind || ' ' || n, ', ' ORDER BY kind) AS by_kind
    FROM (
        SELECT business_date, kind, count(*) AS n FROM recon.exceptions
        WHERE status = 'open' GROUP BY ALL
    )
    GROUP BY ALL
)
SELECT d.business_date, coalesce(b.matched, 0), coalesce(b.total, 0), coalesce(t.matched, 0),
       coalesce(t.total, 0), coalesce(o.by_kind, 'none')
FROM days AS d
LEFT JOIN batches AS b USING (business_date)
LEFT JOIN tenders AS t USING (business_date)
LEFT JOIN open_exceptions AS o USING (business_date)
ORDER BY 1
