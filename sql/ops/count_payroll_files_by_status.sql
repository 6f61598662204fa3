-- Files received on the run's days by status (the asset's metadata). $first, $last.
SELECT status, count(*) FROM ops.payroll_files
WHERE business_date BETWEEN $first AND $last
GROUP BY status ORDER BY status;
