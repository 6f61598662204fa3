-- customer_sync_plan: what the sync sends. A golden customer that D365 or Heartland Retail
-- lacks is created there (once per golden customer and system: version 1); a record whose
-- surviving attribute differs from its golden customer's gets the golden value (D365: name,
-- e-mail, phone, address; Retail: name and e-mail, its phone and address live on address
-- records). A request already done ($done: created, adopted, updated) is not planned again, so
-- a re-run before the next pull sends nothing. ($d365_company, $d365_account_prefix: the
-- configured company and account numbering; the account is the prefix and the golden number.)
CREATE OR REPLACE TEMP TABLE customer_sync_plan AS
WITH creates AS (
    SELECT golden_id, 'd365' AS system, 'create' AS action, '1' AS version,
        $d365_company || '/' || $d365_account_prefix || substr(golden_id, 3) AS target_key,
        ['name', 'email', 'phone', 'address'] AS fields
    FROM customer_sync_golden
    WHERE d365_record_count = 0
    UNION ALL
    SELECT golden_id, 'heartland_retail', 'create', '1', NULL, ['name', 'email', 'phone', 'address']
    FROM customer_sync_golden
    WHERE retail_record_count = 0
),
differences AS (
    SELECT r.golden_id, r.source, r.source_key, r.attribute, g.value
    FROM customer_sync_record_values AS r
    JOIN customer_sync_golden_values AS g USING (golden_id, attribute)
    WHERE g.value IS NOT NULL
      AND r.value IS DISTINCT FROM g.value
      AND (r.source = 'd365' OR r.attribute IN ('name', 'email'))
),
updates AS (
    SELECT golden_id, source AS system, 'update' AS action,
        source_key || ':' || left(md5(string_agg(attribute || '=' || value, ';' ORDER BY attribute)), 12) AS version,
        source_key AS target_key,
        list(attribute ORDER BY attribute) AS fields
    FROM differences
    GROUP BY golden_id, source, source_key
),
planned AS (
    SELECT golden_id || '|' || system || '|' || action || '|' || version AS request_key, *
    FROM (SELECT * FROM creates UNION ALL SELECT * FROM updates)
)
SELECT p.*, g.first_name, g.last_name, g.email, g.phone_e164, g.address_1, g.address_2, g.city,
    g.state, g.postcode, g.country_code
FROM planned AS p
JOIN customer_sync_golden AS g USING (golden_id)
WHERE p.request_key NOT IN (
    SELECT request_key FROM mdm.sync_requests WHERE status IN ('created', 'adopted', 'updated')
)
ORDER BY p.system, p.action, p.golden_id, p.target_key;
