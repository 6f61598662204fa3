-- The last mapping check's outcome, one row per mapped main account or dimension value:
-- main accounts first, then dimension values by dimension.
SELECT kind, dimension, value, referenced_by, exists_in_d365
FROM ops.d365_mapping_validation
ORDER BY kind DESC, dimension, value;
