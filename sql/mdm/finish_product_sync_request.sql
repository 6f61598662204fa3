-- A product sync request's outcome, after the answer (or the look-up that found it).
UPDATE mdm.product_sync_requests
SET status = $status, target_key = coalesce($target_key, target_key), detail = $detail,
    finished_at = $now
WHERE request_key = $request_key;
