-- recon.payroll_funding of the check dates $first..$last per component and status: the
-- payroll_funding asset's summary.
SELECT component || ' ' || status AS outcome, count(*) AS runs
FROM recon.payroll_funding
WHERE business_date BETWEEN $first AND $last
GROUP BY ALL
ORDER BY ALL
