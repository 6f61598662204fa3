-- Before the schema-drift check records a day: that day's earlier findings go.
DELETE FROM ops.payload_drift
WHERE source = $source AND entity = $entity AND business_date = $business_date
