-- What one product match found: rows per match status and rule (counts only, for metadata).
SELECT match_status, coalesce(match_rule, '') AS match_rule, count(*) AS rows
FROM canonical.products
GROUP BY ALL
ORDER BY ALL;
