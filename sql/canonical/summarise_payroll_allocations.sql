-- Allocated payroll by currency and allocation basis, for materialisation metadata.
SELECT coalesce(currency, 'unmapped') AS currency, allocation_basis AS measure, sum(amount) AS amount
FROM canonical.payroll_allocations
WHERE business_date BETWEEN $first AND $last
GROUP BY ALL ORDER BY ALL
