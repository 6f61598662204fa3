-- How many sales orders raw.d365_sales_orders holds, and the newest creation time among them:
-- the incremental pull's watermark. D365's empty date (1900-01-01T12:00:00Z) sets none.
-- $after: the first moment that is not D365's empty date.
SELECT count(*) AS orders_held,
       max(OrderCreationDateTime) FILTER (WHERE OrderCreationDateTime >= $after) AS newest_created
FROM raw.d365_sales_orders;
