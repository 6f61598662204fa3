-- Per D365 order: seconds from the receiver taking the business event that confirmed it to
-- GP-API answering its payment request (hl-d365 bench --part orders). Both stamps are this
-- machine's clock: the receiver's received_at, the requester's answered_at.
WITH confirmed AS (
    SELECT SalesOrderNumber AS sales_order_number, min(received_at) AS received_at
    FROM raw.d365_business_events
    WHERE SalesOrderProcessingStatus = 'Confirmed'
      AND list_contains($orders, SalesOrderNumber)
    GROUP BY ALL
)
SELECT
    request.sales_order_number,
    epoch(request.answered_at) - epoch(confirmed.received_at) AS seconds
FROM ops.payment_requests AS request
JOIN confirmed USING (sales_order_number)
WHERE request.answered_at IS NOT NULL
ORDER BY request.sales_order_number;
