-- Every column of the pipeline's tables in their order, with the COMMENT ON COLUMN text that
-- documents them (and, after "Source:", the upstream columns each is computed from).
SELECT schema_name || '.' || table_name AS table_name, column_name, data_type, is_nullable, comment
FROM duckdb_columns()
WHERE schema_name IN ('ops', 'raw', 'canonical', 'recon', 'gl') AND NOT internal
ORDER BY schema_name, table_name, column_index
