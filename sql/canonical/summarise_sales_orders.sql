-- What canonical.sales_orders and canonical.sales_order_lines hold after a rebuild: the asset's
-- metadata.
SELECT
    (SELECT count(*) FROM canonical.sales_orders) AS orders,
    (SELECT count(*) FROM canonical.sales_order_lines) AS lines,
    (SELECT count(*) FROM canonical.sales_orders WHERE cancelled) AS cancelled_orders,
    (SELECT count(*) FROM canonical.sales_orders WHERE events_received > 0) AS orders_with_events;
