-- The staged D365 writes of the product sync (stage_product_writeback_plan.sql), in send order.
SELECT request_key, action, version, sku, legal_entity, item_number, entity_set, d365_key,
       first_barcode, changes
FROM product_writeback_plan
ORDER BY sku, entity_set;
