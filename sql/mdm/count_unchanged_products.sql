-- Matched SKUs with nothing to send either way (after stage_product_sync_plan and
-- stage_product_writeback_plan): Retail holds D365's values of the D365-mastered fields, and
-- D365 holds Retail's of the Retail-mastered ones.
SELECT count(DISTINCT sku)
FROM product_sync_values
WHERE match_status = 'matched'
  AND sku NOT IN (
      SELECT sku FROM product_sync_values
      WHERE d365_value IS NOT NULL AND refusal IS NULL AND d365_value IS DISTINCT FROM retail_value
  )
  AND sku NOT IN (SELECT sku FROM product_writeback_values WHERE differs AND refusal IS NULL);
