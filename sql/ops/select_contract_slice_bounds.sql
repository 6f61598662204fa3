-- The row-id ranges the schema_contract check (table_checks.py) reads a table's business day in:
-- the day's first row id, the row ids at $fractions (1/n, 2/n, ...) of it, and one past its last,
-- so slice i is [bounds[i], bounds[i + 1]). {schema}.{table}: the checked table. $day: the day.
SELECT list_concat([min(rowid)], quantile_disc(rowid, $fractions::DOUBLE[]), [max(rowid) + 1])
FROM {schema}.{table}
WHERE business_date = $day
