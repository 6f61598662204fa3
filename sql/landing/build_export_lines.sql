-- The landing lines of one dropped export (hl_d365_assets/payroll_landing.py) with their row
-- number and the business day each lands under. `export_records` holds the records the CSV reader
-- split, in order, each a list of texts (read as c0, c1, ... up to the longest record: NULL past
-- its end); `lookup_<n>` the value and day of each distinct text of a column with a format, read
-- once by its mapping; $blank_records the records that are blank (every field empty or white
-- space: no data row, no row number).
-- The placeholders in braces are filled per file from its header (column references, lookups and
-- $parameter names only); every text — keys, names, the envelope's parts — is a $parameter.
WITH data_rows AS (
    SELECT
        record + 1 - len(list_filter($blank_records, lambda b: b < record)) AS file_row,
        len(record_fields) AS fields,
        {columns}
    FROM export_records
    WHERE NOT list_contains($blank_records, record)
),

lines AS (
    SELECT
        data_rows.file_row,
        {row_day} AS row_day,
        -- One concat() of the parts, not a chain of ||, each of which copies the line so far;
        -- no part is NULL (the payloads are JSON texts, the problem part '' when none).
        concat(
            $head, $event_id_prefix, CAST(data_rows.file_row AS VARCHAR), '"', $between,
            CASE
                -- A row of as many fields as the header, no control character in any (DuckDB's
                -- to_json writes some otherwise than json.dumps) and no field starting or ending
                -- with white space (the struct takes mapped values untrimmed): to_json of a struct.
                -- A comma inside a field may look like a field's end here: that row only takes the
                -- other rendering, which gives the same bytes.
                WHEN {struct_ok} AND data_rows.fields = $header_fields
                    AND NOT regexp_matches(
                        concat_ws(',', {all_fields}),
                        '[\x00-\x1f]|(^|,)[\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000} ]|[\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000} ](,|$)'
                    )
                    THEN {struct_payload}
                ELSE {payload_members}
            END,
            CASE
                WHEN $file_problem::VARCHAR IS NOT NULL
                    THEN $problem_head || json_text($file_problem::VARCHAR)
                WHEN data_rows.fields <> $header_fields
                    THEN $problem_head || json_text(
                        'payroll_malformed_row: the row has ' || data_rows.fields
                        || ' fields, the header ' || $header_fields
                    )
                ELSE ''
            END,
            '}'
        ) AS line
    FROM data_rows
    {lookup_joins}
)

SELECT file_row, row_day, line
FROM lines
