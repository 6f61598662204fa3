-- The records of a dropped export that are blank: every field empty or white space as
-- str.strip() sees it (hl_d365_assets/payroll_landing.py; {all_fields} is each field of the
-- record, filled per file from the longest record's length).
SELECT record
FROM export_records
WHERE python_blank(concat({all_fields}))
ORDER BY record
