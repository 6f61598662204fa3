-- One slice of a table's business day for the schema_contract check (table_checks.py): the rows
-- whose row id is in [$low, $high), but not those of a duplicate group (contract_duplicate_rows),
-- which the first slice reads all together (select_contract_duplicate_rows.sql). A range of row
-- ids is read from its own row groups only. {schema}.{table}: the checked table. $day: the day.
SELECT *
FROM {schema}.{table}
WHERE business_date = $day
    AND rowid >= $low AND rowid < $high
    AND rowid NOT IN (SELECT row_id FROM contract_duplicate_rows)
