-- The risk benchmark's day ($day) once scored: entities scored, feature rows, alerts, and the
-- alerts by pattern in words (high ones counted).
WITH by_pattern AS (
    SELECT pattern, count(*) AS alerts, count(*) FILTER (WHERE severity = 'high') AS high
    FROM risk.alerts
    WHERE business_date = $day
    GROUP BY pattern
)
SELECT (SELECT count(*) FROM risk.scores WHERE business_date = $day) AS scored,
       (SELECT count(*) FROM risk.features WHERE business_date = $day) AS feature_rows,
       (SELECT count(*) FROM risk.alerts WHERE business_date = $day) AS alerts,
       (SELECT string_agg(pattern || ' ' || alerts || ' (' || high || ' high)', ', '
                          ORDER BY alerts DESC, pattern) FROM by_pattern) AS alerts_by_pattern
