-- Pay runs' totals by currency, for materialisation metadata (gross and net pay, signed).
SELECT coalesce(currency, 'unmapped') AS currency, measure, sum(amount) AS amount
FROM canonical.payroll_runs
UNPIVOT (amount FOR measure IN (gross_amount AS gross, net_pay_amount AS net_pay))
WHERE business_date BETWEEN $first AND $last
GROUP BY ALL ORDER BY ALL
