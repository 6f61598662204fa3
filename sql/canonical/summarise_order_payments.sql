-- Order payment transitions' money by currency and state, for materialisation metadata.
SELECT currency, state AS measure, sum(amount) AS amount
FROM canonical.order_payments
WHERE business_date BETWEEN $first AND $last AND amount IS NOT NULL
GROUP BY ALL ORDER BY ALL
