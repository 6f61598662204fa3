-- A raw.d365_* table's columns in order, with the descriptions written once in
-- sql/raw/create_d365_*.sql: the D365 fields are the pull's $select list (all but pulled_at).
-- $table: the raw table's name (d365_...).
SELECT column_name, data_type, is_nullable, comment
FROM duckdb_columns()
WHERE schema_name = 'raw' AND table_name = $table
ORDER BY column_index;
