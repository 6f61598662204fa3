-- {table}: the latest state of each resource in the landed segments $files, one row per id.
-- The newest time_last_updated (batches: time_closed) wins, then the latest delivery.
-- $closed_only keeps only CLOSED resources (the batch listing serves closed batches only).
-- read_csv with a control character as delimiter and no quoting yields each line whole; the only
-- lines it can reject hold a raw control character, which no valid JSON line does, so
-- ignore_errors drops nothing an API could serve.
CREATE OR REPLACE TABLE {table} AS
WITH lines AS (
    SELECT line
    FROM read_csv(
        $files, columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '',
        header = false, auto_detect = false, max_line_size = 16777216, ignore_errors = true
    )
),
envelopes AS (
    SELECT
        CASE WHEN json_valid(line) THEN json_extract(line, '$.payload') END AS payload,
        CASE WHEN json_valid(line) THEN json_extract_string(line, '$.received_at') END
            AS received_at
    FROM lines
),
states AS (
    SELECT
        payload ->> 'id' AS id,
        try_cast(payload ->> 'time_created' AS TIMESTAMPTZ) AS time_created,
        coalesce(
            try_cast(payload ->> 'time_last_updated' AS TIMESTAMPTZ),
            try_cast(payload ->> 'time_closed' AS TIMESTAMPTZ),
            try_cast(payload ->> 'time_created' AS TIMESTAMPTZ)
        ) AS state_time,
        payload ->> 'type' AS type,
        payload ->> 'status' AS status,
        received_at,
        payload::VARCHAR AS payload
    FROM envelopes
    WHERE json_type(payload) = 'OBJECT'
)
SELECT
    id,
    time_created,
    CAST(time_created AT TIME ZONE 'UTC' AS DATE) AS created_date,
    type,
    status,
    payload
FROM states
WHERE coalesce(id, '') <> '' AND (NOT $closed_only OR status = 'CLOSED')
QUALIFY row_number() OVER (
    PARTITION BY id ORDER BY state_time DESC NULLS LAST, received_at DESC NULLS LAST
) = 1
