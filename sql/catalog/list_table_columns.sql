-- A table's columns in their order, with the COMMENT ON COLUMN text that documents them.
-- $schema, $name: the table.
SELECT column_name, data_type, is_nullable, comment
FROM duckdb_columns() WHERE schema_name = $schema AND table_name = $name
ORDER BY column_index
