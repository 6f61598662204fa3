-- Parse each screened line against the Heartland Retail payment type shape.
-- Contract, read past: payload.created_at
-- (sent by the source, deliberately not parsed; the payload_shape check knows them.)
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"id": "VARCHAR", "name": "VARCHAR", "active": "BOOLEAN", "updated_at": "VARCHAR"}
        }') END AS e
    FROM screened_lines
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.id AS payment_type_id, e.payload.name, e.payload.active,
    TRY_CAST(e.payload.updated_at AS TIMESTAMPTZ) AS updated_at,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.id, '') = '' THEN 'schema_violation: payload.id is missing' END,
        CASE WHEN coalesce(e.payload.name, '') = '' THEN 'schema_violation: payload.name is missing' END,
        retail_timestamp_problem('payload.updated_at', e.payload.updated_at, false)
    ], lambda p: p IS NOT NULL) END AS problems
FROM decoded;
