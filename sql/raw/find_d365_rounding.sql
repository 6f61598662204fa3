-- Pulled decimals with more places than their column keeps: casting would round them silently,
-- so the pull fails naming them instead (money stays exact, DESIGN.md).
-- $table: the raw table's name (d365_...).
WITH decimal_columns AS (
    SELECT column_name, numeric_scale
    FROM duckdb_columns()
    WHERE schema_name = 'raw' AND table_name = $table AND data_type LIKE 'DECIMAL%'
),
pulled_values AS (
    UNPIVOT {staged} ON COLUMNS(*) INTO NAME field VALUE text
)
SELECT field, text, numeric_scale
FROM pulled_values
JOIN decimal_columns ON decimal_columns.column_name = pulled_values.field
WHERE length(rtrim(split_part(text, '.', 2), '0')) > numeric_scale
ORDER BY ALL
LIMIT 5;
