-- Matched SKUs whose D365-mastered fields Retail already holds (after stage_product_sync_plan).
SELECT count(DISTINCT sku)
FROM product_sync_values
WHERE match_status = 'matched'
  AND sku NOT IN (
      SELECT sku FROM product_sync_values
      WHERE d365_value IS NOT NULL AND refusal IS NULL AND d365_value IS DISTINCT FROM retail_value
  );
