-- One product sync request (to $system: heartland_retail or d365) recorded as sending, before it
-- leaves; a retried one counts an attempt.
INSERT INTO mdm.product_sync_requests (request_key, legal_entity, item_number, sku, system,
    action, version, target_key, fields, status, attempts, detail, first_requested_at,
    requested_at, finished_at)
VALUES ($request_key, $legal_entity, $item_number, $sku, $system, $action, $version,
    $target_key, $fields, 'sending', 1, NULL, $now, $now, NULL)
ON CONFLICT (request_key) DO UPDATE SET
    status = 'sending',
    attempts = mdm.product_sync_requests.attempts + 1,
    target_key = coalesce(mdm.product_sync_requests.target_key, excluded.target_key),
    detail = NULL,
    requested_at = excluded.requested_at,
    finished_at = NULL;
