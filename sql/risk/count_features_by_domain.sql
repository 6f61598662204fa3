-- Feature rows per domain of the days $first..$last (the risk/features asset's metadata).
SELECT domain, count(*)
FROM risk.features
WHERE business_date BETWEEN $first AND $last
GROUP BY domain
ORDER BY domain
