-- D365 values the product sync cannot send exactly (after stage_product_sync_plan), and why.
SELECT sku, refusal FROM product_sync_values WHERE refusal IS NOT NULL ORDER BY ALL;
