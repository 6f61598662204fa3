-- {table}: the latest state of each resource in the landed segments $files, one row per id.
-- The newest time_last_updated (batches: time_closed) wins, then the latest delivery.
-- $closed_only keeps only CLOSED resources (the batch listing serves closed batches only).
-- read_csv with a control character as delimiter and no quoting yields each line whole; the only
-- lines it can reject hold a raw control character, which no valid JSON line does, so
-- ignore_errors drops nothing an API could serve.
-- A transaction is served as GP-API report rows look: the action that created it as
-- action_create_id and no action object (a report row's action, when present, is the read, not a
-- state change; docs/sandbox-departures.md). Batches keep theirs: the close response carries it.
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
        payload -> 'action' ->> 'id' AS action_id,
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
    CASE WHEN $closed_only THEN payload ELSE json_merge_patch(
        payload,
        json_object(
            'action', NULL,
            'action_create_id', coalesce(
                payload ->> 'action_create_id', arg_min(action_id, state_time) OVER (PARTITION BY id)
            )
        )
    )::VARCHAR END AS payload
FROM states
WHERE coalesce(id, '') <> '' AND (NOT $closed_only OR status = 'CLOSED')
QUALIFY row_number() OVER (
    PARTITION BY id ORDER BY state_time DESC NULLS LAST, received_at DESC NULLS LAST
) = 1
