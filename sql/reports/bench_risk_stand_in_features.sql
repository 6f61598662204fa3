-- Only for `hl-d365 bench --part risk` on a build without the payments features file
-- (sql/risk/features_payments.sql, another piece of issue 18): three per-transaction features of
-- canonical.payments of $first..$last, in the contract's shape, so the scoring and the model are
-- measured on a million scored transactions. The bench says when it uses them.
INSERT INTO risk.features
WITH sales AS (
    SELECT business_date, transaction_id, store_id, legal_entity, amount,
           coalesce(tip_amount, 0) AS tip_amount, local_time, currency
    FROM canonical.payments
    WHERE business_date BETWEEN $first AND $last AND transaction_type = 'SALE' AND amount > 0
),
store_spread AS (
    SELECT business_date, store_id, median(amount) AS med, median(abs(amount - med_all)) AS mad
    FROM (SELECT *, median(amount) OVER (PARTITION BY business_date, store_id) AS med_all FROM sales)
    GROUP BY ALL
)
SELECT s.business_date, 'payments', 'transaction', s.transaction_id, s.store_id, s.legal_entity,
       f.feature, f.value, f.evidence, ['transaction:' || s.transaction_id]
FROM sales AS s
JOIN store_spread AS d USING (business_date, store_id),
LATERAL (VALUES
    ('amount_robust_z', ((s.amount - d.med) / greatest(1.4826 * d.mad, 0.01))::DOUBLE,
     'amount ' || s.amount || ' ' || s.currency || ' against the store median ' || d.med),
    ('tip_ratio', (s.tip_amount / s.amount)::DOUBLE, 'tip ' || s.tip_amount || ' on ' || s.amount),
    ('local_hour', (hour(s.local_time) + minute(s.local_time) / 60)::DOUBLE, NULL)
) AS f(feature, value, evidence);
