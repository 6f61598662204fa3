-- Parse each screened line against the Heartland Retail customer shape. Customers carry personal
-- data (names, email, addresses, phones): kept here for the customer MDM, but no problem text
-- ever quotes a value.
-- Contract, read past: payload.custom
-- (sent by the source, deliberately not parsed; the payload_shape check knows them.)
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"id": "VARCHAR", "public_id": "VARCHAR", "first_name": "VARCHAR", "last_name": "VARCHAR",
                        "email": "VARCHAR", "active": "BOOLEAN", "created_at": "VARCHAR", "updated_at": "VARCHAR",
                        "addresses": [{"id": "VARCHAR", "customer_id": "VARCHAR", "first_name": "VARCHAR",
                                       "last_name": "VARCHAR", "address_1": "VARCHAR", "address_2": "VARCHAR",
                                       "city": "VARCHAR", "state": "VARCHAR", "zip": "VARCHAR",
                                       "country": "VARCHAR", "phone": "VARCHAR"}]}
        }') END AS e
    FROM screened_lines
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.id AS customer_id, e.payload.public_id, e.payload.first_name, e.payload.last_name,
    e.payload.email, e.payload.active, coalesce(e.payload.addresses, []) AS addresses,
    TRY_CAST(e.payload.created_at AS TIMESTAMPTZ) AS created_at,
    TRY_CAST(e.payload.updated_at AS TIMESTAMPTZ) AS updated_at,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.id, '') = '' THEN 'schema_violation: payload.id is missing' END,
        retail_timestamp_problem('payload.created_at', e.payload.created_at, false),
        retail_timestamp_problem('payload.updated_at', e.payload.updated_at, true)
    ], lambda p: p IS NOT NULL) END AS problems
FROM decoded;
