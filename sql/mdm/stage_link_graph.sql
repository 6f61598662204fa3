-- The link graph in numbers for connected components (splink's clustering): one node per
-- canonical record, one edge per link.
CREATE OR REPLACE TEMP TABLE customer_nodes AS
SELECT row_number() OVER (ORDER BY record_key) AS node_id, record_key
FROM canonical.customer_records;

CREATE OR REPLACE TEMP TABLE customer_edges AS
SELECT DISTINCT l.node_id AS node_id_l, r.node_id AS node_id_r
FROM customer_links AS k
JOIN customer_nodes AS l ON l.record_key = k.record_key_l
JOIN customer_nodes AS r ON r.record_key = k.record_key_r;
