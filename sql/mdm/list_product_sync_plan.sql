-- The staged product sync plan (stage_product_sync_plan.sql), one request a row, in send order.
SELECT request_key, action, version, sku, legal_entity, item_number, target_key, changes
FROM product_sync_plan
ORDER BY action, sku;
