-- Rebuild recon.inventory for business days $first..$last: each day's Heartland Retail stock
-- (canonical.inventory_on_hand) against D365's on-hand snapshot of the same business date
-- (raw.d365_warehouses_on_hand; a later pull of the date replaced an earlier one), locations
-- joined through ref.store_warehouses, items through inventory_items
-- (stage_inventory_items.sql, built first).
--
-- D365 learns of POS sales only when the day's journal of the store's legal entity is posted:
-- units sold on tickets whose journal was not posted before the snapshot was pulled leave
-- Retail lower than D365 by exactly those units, so that part of the difference is explained,
-- not an exception.
DELETE FROM recon.inventory WHERE business_date BETWEEN $first AND $last;

CREATE OR REPLACE TEMP TABLE inventory_d365 AS
SELECT snapshot_date AS business_date, dataAreaId AS legal_entity, InventorySiteId AS inventory_site_id,
       InventoryWarehouseId AS inventory_warehouse_id, ItemNumber AS item_number,
       ProductColorId AS product_color_id, ProductSizeId AS product_size_id,
       ProductStyleId AS product_style_id, ProductConfigurationId AS product_configuration_id,
       sum(OnHandQuantity) AS d365_on_hand, sum(AvailableOnHandQuantity) AS d365_available,
       sum(ReservedOnHandQuantity) AS d365_reserved, max(pulled_at) AS pulled_at
FROM raw.d365_warehouses_on_hand
WHERE snapshot_date BETWEEN $first AND $last
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE inventory_snapshots AS
SELECT business_date, max(pulled_at) AS pulled_at FROM inventory_d365 GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE inventory_retail AS
SELECT o.business_date, o.store_id, o.location_id, o.currency, o.unit_cost,
       w.legal_entity, w.inventory_site_id, w.inventory_warehouse_id,
       o.item_id AS retail_item_id, coalesce(ii.retail_public_id, o.sku) AS retail_public_id,
       ii.item_number, ii.product_color_id, ii.product_size_id, ii.product_style_id,
       ii.product_configuration_id,
       o.qty_on_hand AS retail_on_hand, coalesce(o.qty_available, o.qty_on_hand) AS retail_available,
       coalesce(o.qty_committed, 0) AS retail_committed
FROM canonical.inventory_on_hand AS o
-- A day without any D365 snapshot (before on-hand was pulled, or the pull failed) is not
-- compared at all: no row claims a match, and the asset's metadata names the day.
JOIN inventory_snapshots AS snap USING (business_date)
LEFT JOIN ref.store_warehouses AS w USING (store_id)
LEFT JOIN inventory_items AS ii ON ii.legal_entity = w.legal_entity AND ii.retail_item_id = o.item_id
WHERE o.business_date BETWEEN $first AND $last;

-- Net POS units per day, store and D365 item whose journal D365 had not posted when the
-- day's snapshot was pulled.
CREATE OR REPLACE TEMP TABLE inventory_unposted AS
SELECT l.business_date, l.store_id, ii.item_number, ii.product_color_id, ii.product_size_id,
       ii.product_style_id, ii.product_configuration_id, sum(l.quantity) AS units
FROM canonical.pos_sale_lines AS l
JOIN ref.store_warehouses AS w USING (store_id)
JOIN inventory_items AS ii ON ii.legal_entity = w.legal_entity AND ii.retail_public_id = l.sku
JOIN inventory_snapshots AS snap USING (business_date)
WHERE l.business_date BETWEEN $first AND $last
  AND l.is_financial AND l.line_type = 'ITEM'
  AND NOT EXISTS (
      SELECT 1 FROM gl.postings AS p
      WHERE p.business_date = l.business_date AND p.legal_entity = w.legal_entity
        AND p.currency = l.currency AND p.status IN ('posted', 'already_in_d365')
        AND p.finished_at <= snap.pulled_at
  )
GROUP BY ALL;

INSERT INTO recon.inventory BY NAME
WITH mapped_warehouses AS (
    SELECT DISTINCT w.store_id, w.legal_entity, w.inventory_site_id, w.inventory_warehouse_id
    FROM ref.store_warehouses AS w
),

-- D365 rows of warehouses that hold a store's stock; other warehouses (a distribution centre)
-- have no Retail counterpart and are not compared.
d365 AS (
    SELECT d.*, m.store_id
    FROM inventory_d365 AS d
    JOIN mapped_warehouses AS m USING (legal_entity, inventory_site_id, inventory_warehouse_id)
),

d365_places AS (
    SELECT DISTINCT business_date, store_id FROM d365
),

retail_places AS (
    SELECT DISTINCT business_date, store_id FROM inventory_retail WHERE store_id IS NOT NULL
),

compared AS (
    SELECT
        coalesce(r.business_date, d.business_date) AS business_date,
        coalesce(r.store_id, d.store_id) AS store_id,
        r.location_id,
        coalesce(r.legal_entity, d.legal_entity) AS legal_entity,
        coalesce(r.inventory_site_id, d.inventory_site_id) AS inventory_site_id,
        coalesce(r.inventory_warehouse_id, d.inventory_warehouse_id) AS inventory_warehouse_id,
        coalesce(r.item_number, d.item_number) AS item_number,
        coalesce(r.product_color_id, d.product_color_id) AS product_color_id,
        coalesce(r.product_size_id, d.product_size_id) AS product_size_id,
        coalesce(r.product_style_id, d.product_style_id) AS product_style_id,
        coalesce(r.product_configuration_id, d.product_configuration_id) AS product_configuration_id,
        r.retail_item_id, r.retail_public_id, r.currency, r.unit_cost,
        r.retail_on_hand, r.retail_available, r.retail_committed,
        d.d365_on_hand, d.d365_available, d.d365_reserved,
        r.business_date IS NOT NULL AS in_retail,
        d.business_date IS NOT NULL AS in_d365
    FROM inventory_retail AS r
    FULL JOIN d365 AS d
      ON d.business_date = r.business_date AND d.legal_entity = r.legal_entity
     AND d.inventory_site_id = r.inventory_site_id AND d.inventory_warehouse_id = r.inventory_warehouse_id
     AND d.item_number = r.item_number AND d.product_color_id = r.product_color_id
     AND d.product_size_id = r.product_size_id AND d.product_style_id = r.product_style_id
     AND d.product_configuration_id = r.product_configuration_id
),

figured AS (
    SELECT
        c.*,
        coalesce(u.units, 0) AS unposted_pos_units,
        CASE WHEN c.in_retail AND c.in_d365 THEN -coalesce(u.units, 0) ELSE 0 END AS explained_on_hand,
        coalesce(c.retail_on_hand, 0) - coalesce(c.d365_on_hand, 0) AS on_hand_difference,
        coalesce(c.retail_available, 0) - coalesce(c.d365_available, 0) AS available_difference,
        coalesce(c.retail_committed, 0) - coalesce(c.d365_reserved, 0) AS committed_difference,
        coalesce(t.absolute_units, 0) + coalesce(t.relative_fraction, 0) * abs(coalesce(c.d365_on_hand, 0)) AS tolerance,
        snap.pulled_at AS d365_snapshot_pulled_at,
        dp.store_id IS NOT NULL AS location_in_d365,
        rp.store_id IS NOT NULL AS location_in_retail
    FROM compared AS c
    LEFT JOIN inventory_unposted AS u
      ON u.business_date = c.business_date AND u.store_id = c.store_id AND u.item_number = c.item_number
     AND u.product_color_id = c.product_color_id AND u.product_size_id = c.product_size_id
     AND u.product_style_id = c.product_style_id AND u.product_configuration_id = c.product_configuration_id
    LEFT JOIN ref.inventory_tolerances AS t ON t.legal_entity = c.legal_entity
    LEFT JOIN inventory_snapshots AS snap ON snap.business_date = c.business_date
    LEFT JOIN d365_places AS dp ON dp.business_date = c.business_date AND dp.store_id = c.store_id
    LEFT JOIN retail_places AS rp ON rp.business_date = c.business_date AND rp.store_id = c.store_id
),

judged AS (
    SELECT
        f.*,
        f.on_hand_difference - f.explained_on_hand AS unexplained_on_hand,
        f.available_difference - f.explained_on_hand AS unexplained_available,
        CASE
            WHEN f.legal_entity IS NULL THEN 'location_unmapped'
            WHEN NOT f.location_in_d365 THEN 'missing_in_d365'
            WHEN NOT f.location_in_retail THEN 'missing_in_retail'
            -- Retail may leave out an empty item (exclude_empty_locations), D365 an item never
            -- stocked: a side absent with nothing on the other is no difference.
            WHEN NOT f.in_d365 AND f.retail_on_hand = 0 AND f.retail_committed = 0 THEN 'matched'
            WHEN NOT f.in_retail AND f.d365_on_hand = 0 AND f.d365_reserved = 0 THEN 'matched'
            WHEN NOT f.in_d365 THEN 'missing_in_d365'
            WHEN NOT f.in_retail THEN 'missing_in_retail'
            WHEN abs(f.on_hand_difference - f.explained_on_hand) <= f.tolerance
             AND abs(f.available_difference - f.explained_on_hand) <= f.tolerance
             AND abs(f.committed_difference) <= f.tolerance
                THEN CASE WHEN f.explained_on_hand <> 0 THEN 'explained' ELSE 'matched' END
            ELSE 'difference'
        END AS status
    FROM figured AS f
)

SELECT
    j.* EXCLUDE (in_retail, in_d365),
    CASE j.status
        WHEN 'location_unmapped'
            THEN 'Retail location ' || coalesce(j.location_id, '?') || ' (store ' || coalesce(j.store_id, 'unknown')
                 || ') has no D365 warehouse in mappings/store_warehouses.csv'
        WHEN 'missing_in_d365'
            THEN CASE
                WHEN NOT j.location_in_d365 THEN 'warehouse ' || j.inventory_warehouse_id || ' (site ' || j.inventory_site_id
                     || ') is absent from the D365 snapshot pulled ' || j.d365_snapshot_pulled_at
                WHEN j.item_number IS NULL THEN 'Retail item ' || j.retail_item_id || ' (' || coalesce(j.retail_public_id, 'no Item #')
                     || ') has no D365 item'
                ELSE 'Retail holds ' || j.retail_on_hand || ' of ' || j.item_number || '; D365 warehouse '
                     || j.inventory_warehouse_id || ' has no record of it'
            END
        WHEN 'missing_in_retail'
            THEN CASE
                WHEN NOT j.location_in_retail THEN 'store ' || j.store_id || ' is absent from the Heartland Retail stock of ' || j.business_date
                ELSE 'D365 warehouse ' || j.inventory_warehouse_id || ' holds ' || j.d365_on_hand || ' of ' || j.item_number
                     || ' (reserved ' || j.d365_reserved || '); Retail has no row of it'
            END
        ELSE 'on hand: Retail ' || j.retail_on_hand || ', D365 ' || j.d365_on_hand
             || '; available: Retail ' || j.retail_available || ', D365 ' || j.d365_available
             || '; committed/reserved: Retail ' || j.retail_committed || ', D365 ' || j.d365_reserved
             || CASE WHEN j.unposted_pos_units <> 0
                     THEN '; ' || j.unposted_pos_units || ' units sold (net of returns) not yet posted to D365'
                     ELSE '' END
             || '; left unexplained: on hand ' || j.unexplained_on_hand || ', available ' || j.unexplained_available
             || ', committed ' || j.committed_difference || ' (tolerance ' || j.tolerance || ')'
    END AS detail
FROM judged AS j;

DROP TABLE inventory_d365;
DROP TABLE inventory_snapshots;
DROP TABLE inventory_retail;
DROP TABLE inventory_unposted;
