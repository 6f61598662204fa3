-- Parse each screened line as a D365 business event (flat JSON: the envelope and the event's own
-- fields at one level). Numbers are read as text, so the 64-bit ControlNumber is exact; EventTime
-- is D365's /Date(epoch ms)/, with EventTimeIso8601 as the fallback consumers also accept.
-- Contract, read past: payload.ContextRecordSubject, payload.InitiatingUserAADObjectId
-- Contract, read past: payload.ParentContextRecordSubjects, payload.LegalEntity
-- (sent by D365, deliberately not parsed: envelope fields no consumer reads, and the sales
-- order's legal entity, which BusinessEventLegalEntity already carries; the whole payload is
-- kept as JSON. The payload_shape check knows them.)
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"BusinessEventId": "VARCHAR", "BusinessEventLegalEntity": "VARCHAR",
                        "ControlNumber": "VARCHAR", "EventId": "VARCHAR", "EventTime": "VARCHAR",
                        "EventTimeIso8601": "VARCHAR", "MajorVersion": "VARCHAR", "MinorVersion": "VARCHAR",
                        "SalesOrderNumber": "VARCHAR", "SalesOrderStatus": "VARCHAR",
                        "SalesOrderProcessingStatus": "VARCHAR"}
        }') END AS e,
        CASE WHEN screen_problem IS NULL THEN json_extract(line, '$.payload') END AS payload_json
    FROM screened_lines
),
typed AS (
    SELECT
        *,
        TRY_CAST(e.payload.ControlNumber AS BIGINT) AS control_number,
        coalesce(
            epoch_ms(TRY_CAST(regexp_extract(e.payload.EventTime, '^/Date\((-?[0-9]+)', 1) AS BIGINT))
                AT TIME ZONE 'UTC',
            TRY_CAST(e.payload.EventTimeIso8601 AS TIMESTAMPTZ)
        ) AS event_time
    FROM decoded
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.BusinessEventId, lower(e.payload.BusinessEventLegalEntity) AS BusinessEventLegalEntity,
    control_number AS ControlNumber, event_time AS EventTime, e.payload.EventTimeIso8601,
    TRY_CAST(e.payload.MajorVersion AS INTEGER) AS MajorVersion,
    TRY_CAST(e.payload.MinorVersion AS INTEGER) AS MinorVersion,
    e.payload.SalesOrderNumber, e.payload.SalesOrderStatus, e.payload.SalesOrderProcessingStatus,
    payload_json AS payload,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN e.event_id IS DISTINCT FROM e.payload.EventId THEN 'schema_violation: event_id is not the payload''s EventId' END,
        CASE WHEN coalesce(e.payload.BusinessEventId, '') = '' THEN 'schema_violation: payload.BusinessEventId is missing' END,
        CASE WHEN coalesce(e.payload.BusinessEventLegalEntity, '') = '' THEN 'schema_violation: payload.BusinessEventLegalEntity is missing' END,
        CASE WHEN control_number IS NULL THEN 'schema_violation: payload.ControlNumber is not a 64-bit integer' END,
        CASE WHEN event_time IS NULL THEN 'invalid_timestamp: payload.EventTime is not /Date(ms)/ and EventTimeIso8601 does not parse' END
    ], lambda p: p IS NOT NULL) END AS problems
FROM typed;
