-- Precision of the reviewed risk alerts of the 30 days up to $last: alerts reviewers set to
-- fraud over those set to fraud or not_fraud (accepted and resolved are not labels).
SELECT count(*) FILTER (WHERE is_fraud) AS fraud, count(*) FILTER (WHERE NOT is_fraud) AS not_fraud
FROM risk.labels
WHERE business_date BETWEEN $last - INTERVAL 29 DAY AND $last
