-- Money that moved, by currency and transaction type, for materialisation metadata.
SELECT currency, lower(transaction_type) AS measure, sum(amount) AS amount
FROM canonical.payments
WHERE business_date BETWEEN $first AND $last AND is_financial
GROUP BY ALL ORDER BY ALL
