-- Rows of a reconciliation table per status for the run's days: the materialisation's summary.
-- {table}: a recon table with a status column; $first, $last: the run's business days.
SELECT status, count(*)
FROM recon.{table}
WHERE business_date BETWEEN $first AND $last
GROUP BY 1
ORDER BY 1;
