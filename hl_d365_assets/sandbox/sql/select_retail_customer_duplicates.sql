-- The customers issue's ground truth for the store-weeks written with the customers ($written
-- as in select_retail_customers.sql), by the first record's id.
SELECT line FROM retail_customer_duplicates_documents
WHERE NOT list_contains($written::BIGINT[], sort_key // 1000)
ORDER BY sort_key
