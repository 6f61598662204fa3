-- Rebuild recon.deposits for $first..$last from the transactions and the batches' fees, and say
-- whether each reported deposit is what the day's money should pay (status, with the deposit
-- tolerance of mappings/recon_tolerances.csv). A deposit pays out a store's money in the store's
-- currency: money captured in another currency is in no deposit row (reconcile_tenders.sql lists
-- each such transaction as currency_mismatch), so a deposit that paid it out shows the difference.
DELETE FROM recon.deposits WHERE business_date BETWEEN $first AND $last;

INSERT INTO recon.deposits BY NAME
WITH store_currencies AS (
    SELECT store_id, arg_max(currency, valid_from) AS currency FROM ref.stores GROUP BY store_id
),
moved AS (
    SELECT p.business_date, p.store_id, p.currency,
           coalesce(sum(p.amount) FILTER (WHERE p.transaction_type = 'SALE'), 0) AS gross_sales,
           coalesce(-sum(p.amount) FILTER (WHERE p.transaction_type = 'REFUND'), 0) AS refunds
    FROM canonical.payments AS p
    LEFT JOIN store_currencies AS s USING (store_id)
    WHERE p.business_date BETWEEN $first AND $last AND p.is_financial
      AND p.currency = coalesce(s.currency, p.currency)
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
),
measured AS (
    SELECT
        coalesce(m.business_date, p.business_date) AS business_date,
        coalesce(m.store_id, p.store_id) AS store_id,
        coalesce(m.currency, p.currency) AS currency,
        coalesce(m.gross_sales, 0) AS gross_sales, coalesce(m.refunds, 0) AS refunds,
        coalesce(p.fees, 0) AS fees, 0 AS adjustments,
        coalesce(m.gross_sales, 0) - coalesce(m.refunds, 0) - coalesce(p.fees, 0) AS expected_deposit,
        p.reported_deposit,
        p.reported_deposit - (coalesce(m.gross_sales, 0) - coalesce(m.refunds, 0) - coalesce(p.fees, 0))
            AS deposit_difference,
        p.deposit_ids, p.deposit_date
    FROM moved AS m
    FULL OUTER JOIN paid AS p
      ON p.business_date = m.business_date AND p.store_id IS NOT DISTINCT FROM m.store_id
     AND p.currency = m.currency
)
SELECT
    d.*,
    CAST(coalesce(t.deposit_absolute_tolerance, 0)
         + coalesce(t.deposit_relative_tolerance, 0) * abs(coalesce(d.reported_deposit, 0))
         AS DECIMAL(18, 2)) AS tolerance,
    CASE
        WHEN d.reported_deposit IS NULL THEN 'no_deposit_reported'
        WHEN d.deposit_difference = 0 THEN 'matched'
        WHEN abs(d.deposit_difference) <= CAST(coalesce(t.deposit_absolute_tolerance, 0)
                 + coalesce(t.deposit_relative_tolerance, 0) * abs(d.reported_deposit) AS DECIMAL(18, 2))
            THEN 'within_tolerance'
        ELSE 'difference'
    END AS status
FROM measured AS d
LEFT JOIN ref.recon_tolerances AS t ON t.currency = d.currency;
