-- Payroll items of check dates $first..$last not charged exactly: no allocation at all, or parts
-- that do not sum to the item's amount (the largest-remainder rule makes them sum exactly).
-- (items, items not charged exactly, Σ items, Σ parts).
WITH parts AS (
    SELECT event_id, sum(amount) AS allocated
    FROM canonical.payroll_allocations
    WHERE business_date BETWEEN $first AND $last
    GROUP BY event_id
),
items AS (
    SELECT event_id, amount FROM canonical.payroll_items
    WHERE business_date BETWEEN $first AND $last
)
SELECT
    count(*) FILTER (i.event_id IS NOT NULL) AS items,
    count(*) FILTER (i.event_id IS NULL OR p.event_id IS NULL OR p.allocated <> i.amount) AS not_exact,
    coalesce(sum(i.amount), 0) AS items_total,
    coalesce(sum(p.allocated), 0) AS allocated_total
FROM items AS i
FULL OUTER JOIN parts AS p USING (event_id)
