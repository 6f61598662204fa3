-- The demo's stock comparison: per business day and store, recon.inventory's rows by status and
-- the units the day's unposted POS sales explain, with the open inventory_* exceptions.
WITH per_store AS (
    SELECT business_date, store_id, inventory_warehouse_id,
           count(*) FILTER (WHERE status = 'matched') AS matched,
           count(*) FILTER (WHERE status = 'explained') AS explained,
           count(*) FILTER (WHERE status = 'difference') AS differences,
           count(*) FILTER (WHERE status IN ('missing_in_d365', 'missing_in_retail')) AS missing,
           count(*) FILTER (WHERE status = 'location_unmapped') AS unmapped,
           sum(explained_on_hand) AS explained_units
    FROM recon.inventory
    GROUP BY ALL
),
open_exceptions AS (
    SELECT business_date, store_id, string_agg(kind || ' ' || n, ', ' ORDER BY kind) AS by_kind
    FROM (
        SELECT business_date, store_id, kind, count(*) AS n FROM recon.exceptions
        WHERE status = 'open' AND kind LIKE 'inventory\_%' ESCAPE '\' GROUP BY ALL
    )
    GROUP BY ALL
)
SELECT p.business_date, p.store_id, p.inventory_warehouse_id, p.matched, p.explained,
       p.differences, p.missing, p.unmapped, p.explained_units, coalesce(o.by_kind, 'none')
FROM per_store AS p
LEFT JOIN open_exceptions AS o USING (business_date, store_id)
ORDER BY p.business_date, p.store_id;
