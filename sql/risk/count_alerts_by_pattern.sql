-- risk.alerts of the days $first..$last per pattern and severity (the risk assets' metadata).
SELECT pattern, count(*) AS alerts, count(*) FILTER (WHERE severity = 'high') AS high
FROM risk.alerts
WHERE business_date BETWEEN $first AND $last
GROUP BY pattern
ORDER BY alerts DESC, pattern
