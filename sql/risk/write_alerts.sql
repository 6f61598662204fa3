-- risk.alerts of the days $first..$last: every scored entity at or above $alert_score, one per
-- entity and day (risk.scores holds one row per entity and day), with a stable id and the
-- recon.exceptions row reviewers decide it in.
DELETE FROM risk.alerts WHERE business_date BETWEEN $first AND $last;

INSERT INTO risk.alerts (
    alert_id, business_date, domain, entity_kind, entity_id, store_id, legal_entity, pattern,
    severity, score, reasons, record_ids, exception_id, model_version, raised_at
)
WITH alerting AS (
    SELECT *, 'RSK_' || upper(md5(domain || '|' || entity_kind || '|' || entity_id || '|'
                                  || business_date)[1:20]) AS alert_id
    FROM risk.scores
    WHERE business_date BETWEEN $first AND $last AND score >= $alert_score
)
SELECT alert_id, business_date, domain, entity_kind, entity_id, store_id, legal_entity,
       coalesce(patterns[1], 'model_anomaly'), severity, score, coalesce(top_reasons, ''),
       record_ids, 'EXC_' || alert_id[5:], model_version, now()
FROM alerting;
