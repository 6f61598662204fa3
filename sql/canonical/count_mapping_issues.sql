-- Rows the mappings could not fully describe, grouped by the issue, for one canonical table.
SELECT mapping_issue, count(*) AS row_count
FROM canonical.{table}
WHERE business_date BETWEEN $first AND $last AND mapping_issue IS NOT NULL
GROUP BY ALL ORDER BY row_count DESC, mapping_issue
