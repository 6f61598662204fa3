-- What risk scoring did on the demo's days (docs/risk.md): per business day, the entities scored,
-- the alerts by pattern (high ones in brackets: they reach the alert webhook and count towards the
-- hold) and the journals the blocking risk_hold check holds back.
WITH scored AS (
    SELECT business_date, count(*) AS entities
    FROM risk.scores
    GROUP BY business_date
),
alerts_by_pattern AS (
    SELECT business_date, pattern, count(*) AS alerts,
           count(*) FILTER (WHERE severity = 'high') AS high
    FROM risk.alerts
    GROUP BY business_date, pattern
),
day_alerts AS (
    SELECT business_date, sum(alerts)::BIGINT AS alerts,
           string_agg(pattern || ' ' || alerts || CASE WHEN high > 0 THEN ' (' || high || ' high)' ELSE '' END,
                      ', ' ORDER BY alerts DESC, pattern) AS by_pattern
    FROM alerts_by_pattern
    GROUP BY business_date
),
held AS (
    SELECT business_date, count(*) FILTER (WHERE NOT passed) AS held_journals
    FROM gl.journal_checks
    WHERE check_name = 'risk_hold'
    GROUP BY business_date
)
SELECT s.business_date, s.entities, coalesce(a.alerts, 0), coalesce(a.by_pattern, 'none'),
       coalesce(h.held_journals, 0)
FROM scored AS s
LEFT JOIN day_alerts AS a USING (business_date)
LEFT JOIN held AS h USING (business_date)
ORDER BY s.business_date
