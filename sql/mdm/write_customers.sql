-- mdm.customers rewritten from this run: active golden customers with their surviving values
-- (created_at kept, updated_at moved only when something changed), golden ids merged this run
-- (into the cluster's surviving id), ids whose records all left the sources retired, and rows
-- merged or retired before kept as they were.
CREATE OR REPLACE TEMP TABLE customers_next AS
WITH active AS (
    SELECT
        a.golden_id, 'active' AS status, NULL AS merged_into, NULL::TIMESTAMPTZ AS merged_at,
        a.name.first AS first_name, a.name.last AS last_name, a.email, a.phone_e164,
        a.address.address_1 AS address_1, a.address.address_2 AS address_2, a.address.city AS city,
        a.address.state AS state, a.address.postcode AS postcode, a.address.country_code AS country_code,
        a.record_count, a.retail_record_count, a.d365_record_count, a.payment_record_count, a.d365_accounts,
        coalesce(o.created_at, $now) AS created_at,
        o AS previous
    FROM golden_attributes AS a
    LEFT JOIN mdm.customers AS o USING (golden_id)
),
merged AS (
    SELECT o.golden_id, 'merged' AS status, s.golden_id AS merged_into, $now AS merged_at
    FROM golden_claims AS o
    JOIN golden_claims AS s ON s.cluster_id = o.cluster_id AND s.survives
    WHERE NOT o.survives
)
SELECT * EXCLUDE (previous),
    CASE WHEN previous IS NOT NULL AND previous.first_name IS NOT DISTINCT FROM first_name
        AND previous.last_name IS NOT DISTINCT FROM last_name AND previous.email IS NOT DISTINCT FROM email
        AND previous.phone_e164 IS NOT DISTINCT FROM phone_e164 AND previous.address_1 IS NOT DISTINCT FROM address_1
        AND previous.postcode IS NOT DISTINCT FROM postcode AND previous.city IS NOT DISTINCT FROM city
        AND previous.record_count = record_count AND previous.status = 'active'
        THEN previous.updated_at ELSE $now END AS updated_at
FROM active
UNION ALL BY NAME
SELECT o.* REPLACE (
        CASE WHEN m.golden_id IS NOT NULL THEN 'merged' WHEN o.status = 'active' THEN 'retired' ELSE o.status END AS status,
        coalesce(m.merged_into, o.merged_into) AS merged_into,
        coalesce(m.merged_at, o.merged_at) AS merged_at,
        0 AS record_count, 0 AS retail_record_count, 0 AS d365_record_count, 0 AS payment_record_count,
        CASE WHEN o.status = 'active' THEN $now ELSE o.updated_at END AS updated_at)
FROM mdm.customers AS o
LEFT JOIN merged AS m USING (golden_id)
WHERE o.golden_id NOT IN (SELECT golden_id FROM golden_attributes);

DELETE FROM mdm.customers;

INSERT INTO mdm.customers BY NAME SELECT * FROM customers_next;
