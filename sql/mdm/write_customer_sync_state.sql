-- After a sync, what the systems were brought to agree on: each golden customer's surviving
-- values, hashed, unless one of its requests of this run ($request_keys) did not finish (then
-- the next run measures edits against the previous state still).
INSERT OR REPLACE INTO mdm.customer_sync_state
SELECT g.golden_id, g.attribute, md5(g.value) AS value_hash, $now AS synced_at
FROM customer_sync_golden_values AS g
WHERE g.value IS NOT NULL
  AND g.golden_id NOT IN (
      SELECT golden_id FROM mdm.sync_requests
      WHERE list_contains($request_keys, request_key) AND status NOT IN ('created', 'adopted', 'updated')
  );
