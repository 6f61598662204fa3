-- The landing lines of one dropped export (hl_d365_assets/payroll_landing.py), in file order, with
-- the business day each lands under. `export_records` holds the records the CSV reader split, in
-- order, each a list of texts (read as c0, c1, ... up to the longest record: NULL past its end);
-- `lookup_<n>` the JSON (value_json) of each distinct text of a column with a format, read once by its mapping.
-- The placeholders in braces are filled per file from its header (column references, lookups and
-- $parameter names only); every text — keys, names, the envelope's parts — is a $parameter.
WITH records AS (
    SELECT record, len(record_fields) AS fields, {columns}
    FROM export_records
),

data_rows AS (
    -- A blank record (every field empty or white space) is no data row and takes no row number.
    SELECT *, row_number() OVER (ORDER BY record) AS file_row
    FROM records
    WHERE NOT python_blank(concat({all_fields}))
),

lines AS (
    SELECT
        data_rows.file_row,
        {row_day} AS row_day,
        $head || json_text($event_id_prefix || data_rows.file_row) || $between
        || '{' || substr({payload_members}, 2) || '}'
        || CASE
            WHEN $file_problem::VARCHAR IS NOT NULL
                THEN $problem_head || json_text($file_problem::VARCHAR)
            WHEN data_rows.fields <> $header_fields
                THEN $problem_head || json_text(
                    'payroll_malformed_row: the row has ' || data_rows.fields
                    || ' fields, the header ' || $header_fields
                )
            ELSE ''
        END || '}' AS line
    FROM data_rows
    {lookup_joins}
),

readable_days AS (
    -- A row whose date cannot be read lands under the file's most common readable date (the
    -- first seen among equally common ones), else under the day of receipt.
    SELECT row_day, count(*) AS row_count, min(file_row) AS first_row
    FROM lines
    WHERE row_day IS NOT NULL
    GROUP BY row_day
),

fallback AS (
    SELECT coalesce(
        (SELECT row_day FROM readable_days ORDER BY row_count DESC, first_row LIMIT 1),
        $received_day
    ) AS day
)

SELECT
    coalesce(lines.row_day, fallback.day) AS day,
    list(lines.line ORDER BY lines.file_row) AS day_lines
FROM lines, fallback
GROUP BY ALL
ORDER BY min(lines.file_row)
