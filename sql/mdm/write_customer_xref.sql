-- mdm.customer_xref rewritten: every record with its golden customer and its strongest link
-- (rules before reviews before the model; a record with no link is single). first_linked_at
-- survives re-runs; linked_at moves when the record changes golden customer.
CREATE OR REPLACE TEMP TABLE customer_xref_next AS
WITH ends AS (
    SELECT record_key_l AS record_key, linked_by, match_probability FROM customer_links
    UNION ALL
    SELECT record_key_r, linked_by, match_probability FROM customer_links
),
strongest AS (
    SELECT record_key,
        arg_min(linked_by, CASE linked_by WHEN 'model' THEN 3 WHEN 'review' THEN 2 ELSE 1 END) AS linked_by,
        max(match_probability) AS match_probability
    FROM ends
    GROUP BY record_key
),
coverage AS (
    SELECT golden_id, d365_record_count > 0 AS golden_has_d365, retail_record_count > 0 AS golden_has_retail
    FROM golden_attributes
)
SELECT g.record_key, g.golden_id, r.source, r.source_key,
    coalesce(s.linked_by, 'single') AS linked_by,
    CASE WHEN s.linked_by = 'model' THEN s.match_probability END AS match_probability,
    c.golden_has_d365, c.golden_has_retail,
    coalesce(o.first_linked_at, $now) AS first_linked_at,
    CASE WHEN o.golden_id = g.golden_id THEN o.linked_at ELSE $now END AS linked_at
FROM record_golden AS g
JOIN canonical.customer_records AS r USING (record_key)
JOIN coverage AS c USING (golden_id)
LEFT JOIN strongest AS s USING (record_key)
LEFT JOIN mdm.customer_xref AS o USING (record_key);

DELETE FROM mdm.customer_xref;

INSERT INTO mdm.customer_xref BY NAME SELECT * FROM customer_xref_next;
