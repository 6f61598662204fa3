-- The run's days' exceptions still open and still detected, per kind.
-- $first, $last: the run's business days.
SELECT kind, count(*)
FROM recon.exceptions
WHERE business_date BETWEEN $first AND $last AND status = 'open' AND still_detected
GROUP BY 1
ORDER BY 1;
