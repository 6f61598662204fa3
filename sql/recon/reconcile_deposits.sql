-- Rebuild recon.deposits for $first..$last from the transactions and the batches' fees.
DELETE FROM recon.deposits WHERE business_date BETWEEN $first AND $last;

INSERT INTO recon.deposits
WITH moved AS (
    SELECT business_date, store_id, currency,
           coalesce(sum(amount) FILTER (WHERE transaction_type = 'SALE'), 0) AS gross_sales,
           coalesce(-sum(amount) FILTER (WHERE transaction_type = 'REFUND'), 0) AS refunds
    FROM canonical.payments
    WHERE business_date BETWEEN $first AND $last AND is_financial
    GROUP BY ALL
),
paid AS (
    SELECT business_date, store_id, currency,
           coalesce(sum(fees_amount), 0) AS fees,
           sum(deposit_amount) AS reported_deposit,
           string_agg(DISTINCT deposit_id, ', ' ORDER BY deposit_id) AS deposit_ids,
           max(deposit_date) AS deposit_date
    FROM canonical.settlement_batches
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
)
SELECT
    coalesce(m.business_date, p.business_date), coalesce(m.store_id, p.store_id),
    coalesce(m.currency, p.currency),
    coalesce(m.gross_sales, 0), coalesce(m.refunds, 0), coalesce(p.fees, 0), 0,
    coalesce(m.gross_sales, 0) - coalesce(m.refunds, 0) - coalesce(p.fees, 0),
    p.reported_deposit,
    p.reported_deposit - (coalesce(m.gross_sales, 0) - coalesce(m.refunds, 0) - coalesce(p.fees, 0)),
    p.deposit_ids, p.deposit_date
FROM moved AS m
FULL OUTER JOIN paid AS p
  ON p.business_date = m.business_date AND p.store_id IS NOT DISTINCT FROM m.store_id
 AND p.currency = m.currency;
