-- A dated snapshot (WarehousesOnHandV2): the pull's business date is replaced with what D365
-- held when the pull started; earlier dates are kept, since on-hand has no timestamp and the
-- only history is the snapshots. $pulled_at: when the pull started; $snapshot_date: its
-- business date (the merchant's date of the pull).
DELETE FROM raw.{table} WHERE snapshot_date = $snapshot_date;
INSERT INTO raw.{table} BY NAME
SELECT *, $pulled_at AS pulled_at, CAST($snapshot_date AS DATE) AS snapshot_date FROM {staged};
