-- Tables, views and macros of the connection's current database (none: a new database).
SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database())
    + (SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND NOT internal)
    + (SELECT count(*) FROM duckdb_functions()
        WHERE database_name = current_database() AND function_type IN ('macro', 'table_macro')
          AND NOT internal)
