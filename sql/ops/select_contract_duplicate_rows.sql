-- The rows of a table's business day that share a slice key with another row of the day
-- (contract_duplicate_rows), read into the schema_contract check's first slice so the models'
-- uniqueness rules and rules over groups of rows see each group whole.
-- {schema}.{table}: the table. $day: the day.
SELECT *
FROM {schema}.{table}
WHERE business_date = $day
    AND rowid IN (SELECT row_id FROM contract_duplicate_rows)
