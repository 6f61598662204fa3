-- The records one D365 pull fetched, as text: the pages were written as JSON arrays with every
-- Edm.Decimal as a string of its exact digits, so nothing passes through a float on the way in.
-- DISTINCT: $skip paging can serve a record twice when D365 changes underneath the pull.
-- $files: the page files; $columns: {field: 'VARCHAR'} for the table's D365 fields.
CREATE OR REPLACE TEMP TABLE {staged} AS
SELECT DISTINCT *
FROM read_json($files, format = 'array', columns = $columns);
