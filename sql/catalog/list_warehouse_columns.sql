-- Every column of the pipeline's tables in their order, with the COMMENT ON COLUMN text that
-- documents them (and, after "Source:", the upstream columns each is computed from). Base tables
-- only: the views (sql/views/) are not assets, so lineage links never point at them.
SELECT c.schema_name || '.' || c.table_name AS table_name, c.column_name, c.data_type, c.is_nullable, c.comment
FROM duckdb_columns() AS c
JOIN duckdb_tables() AS t USING (database_name, schema_name, table_name)
WHERE c.schema_name IN ('ops', 'raw', 'canonical', 'recon', 'gl') AND NOT c.internal
ORDER BY c.schema_name, c.table_name, c.column_index
