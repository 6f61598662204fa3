-- Refusals of the product sync as recon.exceptions (kind product_sync_rejected), kept across
-- runs the way record_product_exceptions.sql keeps the match's: one per SKU, target system and
-- record (for D365 the record written, for Retail the action), open while that record's newest
-- request is rejected, with the target's own words (D365's Infolog text) as the detail; cleared
-- once a later request for it is done. $day dates what is found (the Retail snapshot's date).
CREATE OR REPLACE TEMP TABLE product_sync_refusals AS
WITH newest AS (
    SELECT sku, system, action, target_key, status, detail, fields
    FROM mdm.product_sync_requests
    QUALIFY row_number() OVER (
        PARTITION BY sku, system, action, CASE system WHEN 'd365' THEN target_key END
        ORDER BY requested_at DESC, request_key DESC) = 1
)
SELECT 'EXC_' || upper(md5('product_sync_rejected|' || source_keys)[1:20]) AS exception_id,
       source_keys, detail, CAST($day AS DATE) AS business_date
FROM (
    SELECT 'sku=' || sku || ', system=' || system || ', '
           || CASE system WHEN 'd365' THEN 'record=' || target_key ELSE 'action=' || action END AS source_keys,
           'fields ' || array_to_string(fields, ', ') || ': ' || coalesce(detail, 'refused') AS detail
    FROM newest
    WHERE status = 'rejected'
);

UPDATE recon.exceptions AS e
SET detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL
FROM product_sync_refusals AS d
WHERE e.exception_id = d.exception_id;

UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_reason = 'a later product sync request was accepted (' || $day || ')'
WHERE kind = 'product_sync_rejected' AND (still_detected OR status = 'open')
  AND exception_id NOT IN (SELECT exception_id FROM product_sync_refusals);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, 'product_sync_rejected', 'medium', d.business_date, NULL, NULL, NULL,
       NULL, NULL, d.source_keys, d.detail, d.business_date, d.business_date, now(), now(), true,
       'open', NULL, NULL, NULL
FROM product_sync_refusals AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

DROP TABLE product_sync_refusals;
