-- Refusals of the run's days per reason code: the load's summary. $first, $last.
SELECT reason_code, sum(refusals)
FROM ops.receiver_refusals
WHERE business_date BETWEEN $first AND $last
GROUP BY 1
ORDER BY 1;
