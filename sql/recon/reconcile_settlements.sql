-- Rebuild recon.settlement_vs_transactions for the days $first..$last: each batch against the
-- captured transactions naming it (full outer join, so a batch with none and transactions whose
-- batch never arrived both show), set-based. Money is compared only within a currency: a
-- transaction naming a batch of another currency is left out of that batch's sums (the batch is
-- then short by it), and reconcile_tenders.sql lists it as currency_mismatch.
DELETE FROM recon.settlement_vs_transactions WHERE business_date BETWEEN $first AND $last;

INSERT INTO recon.settlement_vs_transactions BY NAME
WITH batches AS (
    SELECT * FROM canonical.settlement_batches WHERE business_date BETWEEN $first AND $last
),
transactions AS (
    SELECT
        p.batch_id,
        any_value(p.business_date) AS business_date,
        any_value(p.store_id) AS store_id,
        p.currency,
        count(*) FILTER (WHERE p.transaction_type = 'SALE') AS sales_count,
        coalesce(sum(p.amount) FILTER (WHERE p.transaction_type = 'SALE'), 0) AS sales_amount,
        count(*) FILTER (WHERE p.transaction_type = 'REFUND') AS refunds_count,
        coalesce(-sum(p.amount) FILTER (WHERE p.transaction_type = 'REFUND'), 0) AS refunds_amount
    FROM canonical.payments AS p
    WHERE p.business_date BETWEEN $first AND $last AND p.is_financial
    GROUP BY p.batch_id, p.currency, CASE WHEN p.batch_id IS NULL THEN p.store_id END
),
in_batch_currency AS (
    SELECT t.* FROM transactions AS t
    ANTI JOIN batches AS b ON b.batch_id = t.batch_id AND b.currency <> t.currency
),
-- The batch's fee total against the fees of its card brands (canonical.settlement_fees).
brand_fees AS (
    SELECT business_date, batch_id, sum(fees_amount) AS brand_fees_amount
    FROM canonical.settlement_fees
    WHERE business_date BETWEEN $first AND $last
    GROUP BY ALL
),
joined AS (
    SELECT
        coalesce(b.business_date, t.business_date) AS business_date,
        coalesce(b.batch_id, t.batch_id) AS batch_id,
        coalesce(b.store_id, t.store_id) AS store_id,
        coalesce(b.currency, t.currency) AS currency,
        b.batch_id IS NOT NULL AS has_batch,
        b.sales_count AS reported_sales_count,
        b.sales_amount AS reported_sales_amount,
        b.refunds_count AS reported_refunds_count,
        b.refunds_amount AS reported_refunds_amount,
        b.net_amount AS reported_net_amount,
        b.fees_amount AS reported_fees_amount,
        b.deposit_amount AS reported_deposit_amount,
        coalesce(t.sales_count, 0) AS transactions_sales_count,
        coalesce(t.sales_amount, 0) AS transactions_sales_amount,
        coalesce(t.refunds_count, 0) AS transactions_refunds_count,
        coalesce(t.refunds_amount, 0) AS transactions_refunds_amount,
        f.brand_fees_amount
    FROM batches AS b
    FULL OUTER JOIN in_batch_currency AS t ON t.batch_id = b.batch_id AND t.currency = b.currency
    LEFT JOIN brand_fees AS f ON f.business_date = b.business_date AND f.batch_id = b.batch_id
),
measured AS (
    SELECT
        j.*,
        j.transactions_sales_amount - j.transactions_refunds_amount AS transactions_net_amount,
        coalesce(j.reported_sales_count + j.reported_refunds_count, 0)
            - (j.transactions_sales_count + j.transactions_refunds_count) AS count_difference,
        coalesce(j.reported_sales_amount, 0) - j.transactions_sales_amount AS sales_difference,
        coalesce(j.reported_refunds_amount, 0) - j.transactions_refunds_amount AS refunds_difference,
        coalesce(j.reported_net_amount, 0)
            - (j.transactions_sales_amount - j.transactions_refunds_amount) AS net_difference,
        coalesce(j.reported_deposit_amount, 0) - (
            j.transactions_sales_amount - j.transactions_refunds_amount
            - coalesce(j.reported_fees_amount, 0)
        ) AS deposit_difference,
        coalesce(j.reported_fees_amount, 0) - coalesce(j.brand_fees_amount, j.reported_fees_amount, 0)
            AS fees_difference,
        CAST(coalesce(tol.absolute_tolerance, 0)
             + coalesce(tol.relative_tolerance, 0) * abs(coalesce(j.reported_net_amount, 0))
             AS DECIMAL(18, 2)) AS tolerance,
        CAST(coalesce(tol.fees_absolute_tolerance, 0)
             + coalesce(tol.fees_relative_tolerance, 0) * abs(coalesce(j.reported_fees_amount, 0))
             AS DECIMAL(18, 2)) AS fees_tolerance,
        CAST(coalesce(tol.deposit_absolute_tolerance, 0)
             + coalesce(tol.deposit_relative_tolerance, 0) * abs(coalesce(j.reported_deposit_amount, 0))
             AS DECIMAL(18, 2)) AS deposit_tolerance,
        CAST(floor(coalesce(tol.count_absolute_tolerance, 0)
                   + coalesce(tol.count_relative_tolerance, 0)
                     * coalesce(j.reported_sales_count + j.reported_refunds_count, 0)) AS BIGINT)
            AS count_tolerance
    FROM joined AS j
    LEFT JOIN ref.recon_tolerances AS tol ON tol.currency = j.currency
)
SELECT
    business_date, batch_id, store_id, currency,
    CASE
        WHEN NOT has_batch THEN 'transactions_without_batch'
        WHEN transactions_sales_count + transactions_refunds_count = 0 THEN 'batch_without_transactions'
        WHEN count_difference = 0 AND sales_difference = 0 AND refunds_difference = 0
             AND net_difference = 0 AND deposit_difference = 0 AND fees_difference = 0 THEN 'matched'
        WHEN abs(count_difference) <= count_tolerance
             AND greatest(abs(sales_difference), abs(refunds_difference), abs(net_difference)) <= tolerance
             AND abs(fees_difference) <= fees_tolerance
             AND abs(deposit_difference) <= deposit_tolerance THEN 'within_tolerance'
        ELSE 'discrepancy'
    END AS status,
    reported_sales_count, reported_sales_amount, reported_refunds_count, reported_refunds_amount,
    reported_net_amount, reported_fees_amount, reported_deposit_amount,
    transactions_sales_count, transactions_sales_amount, transactions_refunds_count,
    transactions_refunds_amount, transactions_net_amount,
    count_difference, sales_difference, refunds_difference, net_difference, deposit_difference,
    tolerance, brand_fees_amount, fees_difference, fees_tolerance, deposit_tolerance, count_tolerance
FROM measured;
