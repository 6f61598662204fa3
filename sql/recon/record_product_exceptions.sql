-- Turn the product match (canonical.products) into recon.exceptions, keeping ids, status and
-- notes across runs the way record_exceptions.sql does: a D365 SKU without a Retail item
-- (product_unmatched_d365: the product sync creates it, and the exception clears once the item
-- comes back on a pull), a Retail item without a D365 SKU (product_unmatched_retail), and a
-- barcode claimed twice (product_barcode_ambiguous, one per barcode, naming every claimant).
-- The match is not per business day: $day (the Retail snapshot's date) dates what is found.
CREATE OR REPLACE TEMP TABLE product_detected AS
WITH found AS (
    SELECT 'product_unmatched_d365' AS kind,
           'legal_entity=' || legal_entity || ', item_number=' || item_number
           || CASE WHEN product_subtype = 'ProductVariant'
                   THEN ', dimensions=' || concat_ws('/', product_configuration_id, product_color_id, product_size_id, product_style_id, product_version_id)
                   ELSE '' END AS source_keys,
           'D365 ' || item_number || ' (' || coalesce(product_name, '') || '): ' || match_detail AS detail
    FROM canonical.products WHERE match_status = 'unmatched_d365'
    UNION ALL
    SELECT 'product_unmatched_retail',
           'retail_item_id=' || retail_item_id || ', public_id=' || retail_public_id,
           'Heartland Retail ' || retail_public_id || ' (' || coalesce(retail_description, '') || '): ' || match_detail
    FROM canonical.products WHERE match_status = 'unmatched_retail'
    UNION ALL
    SELECT DISTINCT 'product_barcode_ambiguous', 'barcode=' || barcode, detail
    FROM product_ambiguous_gtins
)
SELECT 'EXC_' || upper(md5(kind || '|' || source_keys)[1:20]) AS exception_id, f.kind,
       CASE WHEN f.kind = 'product_barcode_ambiguous' THEN 'high' ELSE 'medium' END AS severity,
       CAST($day AS DATE) AS business_date, f.source_keys, f.detail
FROM found AS f;

UPDATE recon.exceptions AS e
SET detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL
FROM product_detected AS d
WHERE e.exception_id = d.exception_id;

-- No longer found: closed as cleared if nobody had decided on it (as in record_exceptions.sql).
UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_reason = 'no longer found by the product match of ' || $day
WHERE kind IN ('product_unmatched_d365', 'product_unmatched_retail', 'product_barcode_ambiguous')
  AND (still_detected OR status = 'open')
  AND exception_id NOT IN (SELECT exception_id FROM product_detected);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, d.kind, d.severity, d.business_date, NULL, NULL, NULL, NULL, NULL,
       d.source_keys, d.detail, d.business_date, d.business_date, now(), now(), true, 'open',
       NULL, NULL, NULL
FROM product_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

-- A barcode claimed twice stops that product's match and sync until someone fixes it in D365.
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), 'high', d.kind, d.business_date,
       d.kind || ' (' || d.source_keys || '): ' || d.detail
FROM product_detected AS d
WHERE d.kind = 'product_barcode_ambiguous'
ON CONFLICT DO NOTHING;

DROP TABLE product_detected;
