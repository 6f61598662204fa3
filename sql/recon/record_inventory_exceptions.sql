-- Turn what recon.inventory found for $first..$last into recon.exceptions, keeping ids, status
-- and notes across runs the way record_exceptions.sql does (that file leaves inventory_* kinds
-- to this one). A location missing from one side is ONE exception for the location, never one
-- per item; item-level kinds come only from locations both sides hold. $run_id: the Dagster run.
CREATE OR REPLACE TEMP TABLE inventory_detected AS
WITH location_rows AS (
    SELECT business_date, store_id, location_id, inventory_site_id, inventory_warehouse_id, currency,
           CASE
               WHEN status = 'location_unmapped' THEN 'inventory_location_unmapped'
               WHEN status = 'missing_in_d365' AND NOT location_in_d365 THEN 'inventory_location_missing_in_d365'
               WHEN status = 'missing_in_retail' AND NOT location_in_retail THEN 'inventory_location_missing_in_retail'
           END AS kind,
           coalesce(retail_on_hand, d365_on_hand, 0) AS units,
           coalesce(retail_on_hand, 0) * coalesce(unit_cost, 0) AS value,
           detail, d365_snapshot_pulled_at
    FROM recon.inventory
    WHERE business_date BETWEEN $first AND $last
),

found AS (
    SELECT kind, business_date, store_id, any_value(currency) AS currency,
           sum(value) AS amount_at_risk, NULL::DECIMAL(18, 2) AS reported_amount,
           sum(value) AS computed_amount,
           'store_id=' || coalesce(store_id, '(none)') || ', location_id=' || coalesce(location_id, '(none)')
               || ', warehouse=' || coalesce(inventory_warehouse_id, '(unmapped)')
               || ', business_date=' || business_date AS source_keys,
           any_value(detail) || ': ' || count(*) || ' item rows, ' || sum(units) || ' units, worth '
               || sum(value) || ' ' || coalesce(any_value(currency), '') || ' at Retail cost, not compared' AS detail
    FROM location_rows
    WHERE kind IS NOT NULL
    GROUP BY kind, business_date, store_id, location_id, inventory_warehouse_id
    UNION ALL
    SELECT
        CASE status WHEN 'difference' THEN 'inventory_difference' ELSE 'inventory_' || status END,
        business_date, store_id, currency,
        CASE status
            WHEN 'difference' THEN abs(unexplained_on_hand) * coalesce(unit_cost, 0)
            WHEN 'missing_in_d365' THEN abs(retail_on_hand) * coalesce(unit_cost, 0)
            ELSE NULL
        END,
        NULL, NULL,
        'store_id=' || store_id || ', warehouse=' || inventory_warehouse_id || ', item_number='
            || coalesce(item_number, '(none)') || ', retail_item_id=' || coalesce(retail_item_id, '(none)')
            || ', business_date=' || business_date,
        detail
    FROM recon.inventory
    WHERE business_date BETWEEN $first AND $last
      AND (status = 'difference'
           OR (status = 'missing_in_d365' AND location_in_d365)
           OR (status = 'missing_in_retail' AND location_in_retail))
)

SELECT 'EXC_' || upper(md5(f.kind || '|' || f.source_keys)[1:20]) AS exception_id, f.kind,
       CASE WHEN f.kind LIKE 'inventory_location_%' OR f.amount_at_risk >= tol.alert_threshold
            THEN 'high' ELSE 'medium' END AS severity,
       f.business_date, f.store_id, f.currency, f.amount_at_risk, f.reported_amount,
       f.computed_amount, f.source_keys, f.detail
FROM found AS f
LEFT JOIN ref.recon_tolerances AS tol ON tol.currency = f.currency;

UPDATE recon.exceptions AS e
SET severity = d.severity, amount_at_risk = d.amount_at_risk, reported_amount = d.reported_amount,
    computed_amount = d.computed_amount, detail = d.detail,
    last_seen_business_date = greatest(e.last_seen_business_date, d.business_date),
    last_detected_at = now(), still_detected = true,
    status = CASE WHEN e.status = 'cleared' THEN 'open' ELSE e.status END,
    cleared_at = NULL, cleared_reason = NULL, cleared_by_event_id = NULL,
    cleared_by_segment_path = NULL, cleared_by_run_id = NULL
FROM inventory_detected AS d
WHERE e.exception_id = d.exception_id;

-- No longer found: closed as cleared if nobody had decided on it (as in record_exceptions.sql).
UPDATE recon.exceptions
SET still_detected = false, status = CASE WHEN status = 'open' THEN 'cleared' ELSE status END,
    cleared_at = now(), cleared_by_run_id = $run_id,
    cleared_reason = 'no longer found by the stock reconciliation of ' || business_date
WHERE business_date BETWEEN $first AND $last AND (still_detected OR status = 'open')
  AND kind LIKE 'inventory\_%' ESCAPE '\'
  AND exception_id NOT IN (SELECT exception_id FROM inventory_detected);

INSERT INTO recon.exceptions (
    exception_id, kind, severity, business_date, store_id, currency, amount_at_risk,
    reported_amount, computed_amount, source_keys, detail, first_seen_business_date,
    last_seen_business_date, first_detected_at, last_detected_at, still_detected, status,
    resolution_note, resolved_by, resolved_at
)
SELECT d.exception_id, d.kind, d.severity, d.business_date, d.store_id, d.currency,
       d.amount_at_risk, d.reported_amount, d.computed_amount, d.source_keys, d.detail,
       d.business_date, d.business_date, now(), now(), true, 'open', NULL, NULL, NULL
FROM inventory_detected AS d
ANTI JOIN recon.exceptions AS e USING (exception_id);

-- A high-severity exception raises one alert, once (keyed by the exception).
INSERT INTO ops.alerts (alert_id, raised_at, severity, kind, business_date, message)
SELECT 'ALR_' || d.exception_id[5:], now(), 'high', 'reconciliation_' || d.kind, d.business_date,
       d.kind || ' (' || d.source_keys || '): ' || d.detail
FROM inventory_detected AS d
WHERE d.severity = 'high'
ON CONFLICT DO NOTHING;

DROP TABLE inventory_detected;
