-- The run's days' open exceptions (open means still detected: record_exceptions.sql), per kind.
-- $first, $last: the run's business days.
SELECT kind, count(*)
FROM recon.exceptions
WHERE business_date BETWEEN $first AND $last AND status = 'open'
GROUP BY 1
ORDER BY 1;
