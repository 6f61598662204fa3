-- Business days of $first..$last with Heartland Retail stock but no D365 on-hand snapshot: not
-- compared by recon.inventory (no rows), named in its materialisation instead.
SELECT DISTINCT o.business_date
FROM canonical.inventory_on_hand AS o
WHERE o.business_date BETWEEN $first AND $last
  AND NOT EXISTS (SELECT 1 FROM raw.d365_warehouses_on_hand AS w WHERE w.snapshot_date = o.business_date)
ORDER BY 1;
