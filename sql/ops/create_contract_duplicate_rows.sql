-- The row ids of a table's business day that share a unique key with another row, for the
-- schema_contract check's slices (table_checks.py): they all go into the first slice, so the
-- models' uniqueness rules see every member of a duplicate group together.
CREATE OR REPLACE TEMP TABLE contract_duplicate_rows (row_id BIGINT);
