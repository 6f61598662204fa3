-- Payroll items by currency and item class (signed: voids negative), for materialisation metadata.
SELECT coalesce(currency, 'unmapped') AS currency, lower(item_class) AS measure, sum(amount) AS amount
FROM canonical.payroll_items
WHERE business_date BETWEEN $first AND $last
GROUP BY ALL ORDER BY ALL
