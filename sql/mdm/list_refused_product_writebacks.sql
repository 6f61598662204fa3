-- Retail values the product sync does not write to D365 (after stage_product_writeback_plan), and why.
SELECT sku, refusal FROM product_writeback_values WHERE refusal IS NOT NULL ORDER BY ALL;
