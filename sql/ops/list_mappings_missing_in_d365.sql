-- What the GL mapping posts to that D365 lacks, as the mappings_exist_in_d365 check last found
-- it (e.g. "main_account 618950", "dimension BusinessUnit=104"): while any is listed, nothing
-- is posted.
SELECT kind || ' ' || coalesce(dimension || '=', '') || value AS missing
FROM ops.d365_mapping_validation
WHERE NOT exists_in_d365
ORDER BY 1
