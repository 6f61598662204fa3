-- One slice of a table's business day for the schema_contract check (table_checks.py): the rows
-- of duplicate groups (contract_duplicate_rows) in slice 0, every other row in the slice its row
-- id hashes to. {schema}.{table}: the checked table. $day, $slice (0-based), $slices.
SELECT *
FROM {schema}.{table}
WHERE business_date = $day
    AND CASE
        WHEN rowid IN (SELECT row_id FROM contract_duplicate_rows) THEN $slice = 0
        ELSE hash(rowid) % $slices = $slice
    END
