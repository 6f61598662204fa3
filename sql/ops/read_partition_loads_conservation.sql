-- The benchmark's conservation summary over $first..$last: how many days have a load record and
-- whether every one of them accounts for each landed line (loaded + duplicates + quarantined).
SELECT
    count(DISTINCT business_date) AS days_loaded,
    coalesce(bool_and(landed = loaded + duplicates + quarantined), false) AS conserved
FROM ops.partition_loads
WHERE business_date BETWEEN $first AND $last
