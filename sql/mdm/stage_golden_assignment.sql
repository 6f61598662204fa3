-- Which golden id each cluster of linked records carries, so ids survive re-runs and merges.
-- A golden id whose records are now split over clusters stays with the cluster holding most of
-- them; a cluster holding the records of several golden ids keeps the oldest id and the others
-- are merged into it; a cluster holding none gets the next new id. ({clusters}: splink's
-- connected components, node_id and cluster_id.)
CREATE OR REPLACE TEMP TABLE customer_clusters AS
SELECT n.record_key, c.cluster_id::VARCHAR AS cluster_id
FROM {clusters} AS c
JOIN customer_nodes AS n ON n.node_id = c.node_id;

CREATE OR REPLACE TEMP TABLE golden_claims AS
WITH held AS (
    SELECT c.cluster_id, x.golden_id, count(*) AS records
    FROM customer_clusters AS c
    JOIN mdm.customer_xref AS x ON x.record_key = c.record_key
    GROUP BY ALL
),
holder AS (
    SELECT golden_id, first(cluster_id ORDER BY records DESC, cluster_id) AS cluster_id
    FROM held
    GROUP BY golden_id
)
SELECT h.golden_id, h.cluster_id, g.created_at,
    h.golden_id = first(h.golden_id ORDER BY g.created_at, h.golden_id) OVER (PARTITION BY h.cluster_id) AS survives
FROM holder AS h
JOIN mdm.customers AS g ON g.golden_id = h.golden_id;

CREATE OR REPLACE TEMP TABLE cluster_golden AS
WITH kept AS (
    SELECT cluster_id, golden_id FROM golden_claims WHERE survives
),
fresh AS (
    SELECT c.cluster_id, min(c.record_key) AS first_record
    FROM customer_clusters AS c
    WHERE c.cluster_id NOT IN (SELECT cluster_id FROM kept)
    GROUP BY c.cluster_id
),
last_number AS (
    SELECT coalesce(max(TRY_CAST(substr(golden_id, 3) AS BIGINT)), 0) AS n FROM mdm.customers
)
SELECT cluster_id, golden_id, FALSE AS is_new FROM kept
UNION ALL
SELECT f.cluster_id,
    'GC' || lpad((last_number.n + row_number() OVER (ORDER BY f.first_record))::VARCHAR, 9, '0'),
    TRUE
FROM fresh AS f, last_number;

CREATE OR REPLACE TEMP TABLE record_golden AS
SELECT c.record_key, g.golden_id
FROM customer_clusters AS c
JOIN cluster_golden AS g USING (cluster_id);
