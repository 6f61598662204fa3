-- The day's store-week customers whose store-week is not in the store yet ($written lists
-- week x 1000 + location id of the store-weeks already written), in id order.
SELECT line FROM retail_customers_documents
WHERE NOT list_contains($written::BIGINT[], sort_key // 1000)
ORDER BY sort_key
