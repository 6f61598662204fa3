-- Build canonical.items for each business day of $first..$last: every item landed up to the day
-- in its latest version, is_absent when the latest snapshot on or before the day lacks it, plus
-- items the day's tickets sell that no snapshot holds, with the ticket line's own SKU and
-- description. Selling an absent item is a warning (mapping_issue), never a block: the sale
-- happened.
INSERT INTO canonical.items BY NAME
WITH days AS (
    SELECT CAST(unnest(generate_series(CAST($first AS DATE), CAST($last AS DATE), INTERVAL 1 DAY)) AS DATE) AS business_date
),
snapshots AS (
    SELECT d.business_date, max(i.business_date) AS snapshot_date
    FROM days AS d JOIN raw.retail_items AS i ON i.business_date <= d.business_date
    GROUP BY ALL
),
known AS (
    SELECT d.business_date, i.item_id,
           arg_max(i, (i.business_date, i.updated_at, i.received_at)) AS v,
           bool_or(i.business_date = s.snapshot_date) AS in_snapshot
    FROM days AS d
    JOIN raw.retail_items AS i ON i.business_date <= d.business_date
    LEFT JOIN snapshots AS s ON s.business_date = d.business_date
    GROUP BY ALL
),
sold AS (
    SELECT business_date, l.item_id, any_value(l.item_public_id) AS sku, any_value(l.description) AS description
    FROM (SELECT business_date, unnest(lines) AS l FROM raw.retail_tickets WHERE business_date BETWEEN $first AND $last)
    WHERE l.type = 'ItemLine' AND l.item_id IS NOT NULL
    GROUP BY ALL
)
SELECT
    coalesce(k.business_date, s.business_date) AS business_date,
    coalesce(k.item_id, s.item_id) AS item_id,
    coalesce(k.v.public_id, s.sku) AS sku,
    coalesce(k.v.description, s.description) AS description,
    k.v.price, k.v.original_price, k.v.cost, k.v.active, k.v.grid_id, k.v.upc,
    NOT coalesce(k.in_snapshot, false) AS is_absent,
    s.item_id IS NOT NULL AS sold_on_day,
    CASE WHEN s.item_id IS NOT NULL AND NOT coalesce(k.in_snapshot, false)
         THEN 'item_not_in_snapshot: item ' || s.item_id || ' is sold on the day but absent from the latest item snapshot (deleted?)' END
        AS mapping_issue,
    k.v.event_id AS source_event_id
FROM known AS k
FULL JOIN sold AS s USING (business_date, item_id);
