-- Conflicting edits into mdm.sync_conflicts: an attribute whose records changed since the last
-- sync (their value no longer hashes to mdm.customer_sync_state's) in both D365 and Retail, to
-- different values. The golden value (the survivorship rule's choice) wins and is pushed to the
-- overruled records by the plan; a resolution logged once stays one row on a re-run.
INSERT OR IGNORE INTO mdm.sync_conflicts BY NAME
WITH edits AS (
    SELECT r.*
    FROM customer_sync_record_values AS r
    JOIN mdm.customer_sync_state AS s USING (golden_id, attribute)
    WHERE r.value IS NOT NULL AND md5(r.value) <> s.value_hash
),
conflicted AS (
    SELECT golden_id, attribute, list(DISTINCT source ORDER BY source) AS edited_in
    FROM edits
    GROUP BY golden_id, attribute
    HAVING count(DISTINCT source) >= 2 AND count(DISTINCT value) >= 2
),
winners AS (
    SELECT r.golden_id, r.attribute,
        arg_max(r.record_key, r.source_updated_at) AS winning_record_key,
        arg_max(r.source, r.source_updated_at) AS winning_source
    FROM customer_sync_record_values AS r
    JOIN customer_sync_golden_values AS g USING (golden_id, attribute)
    WHERE r.value = g.value
    GROUP BY ALL
)
SELECT c.golden_id || '|' || c.attribute || '|' || left(md5(g.value), 12) AS conflict_id,
    c.golden_id, c.attribute, coalesce(s.rule, 'unknown') AS rule, c.edited_in,
    w.winning_source, w.winning_record_key,
    coalesce((SELECT list(e.record_key ORDER BY e.record_key) FROM edits AS e
              WHERE e.golden_id = c.golden_id AND e.attribute = c.attribute AND e.value <> g.value), []) AS overruled_record_keys,
    $now AS resolved_at
FROM conflicted AS c
JOIN customer_sync_golden_values AS g USING (golden_id, attribute)
LEFT JOIN winners AS w USING (golden_id, attribute)
LEFT JOIN ref.mdm_survivorship AS s ON s.attribute = c.attribute;
