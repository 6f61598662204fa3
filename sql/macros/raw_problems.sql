-- Schema problems every raw entity checks the same way, as '<reason_code>: <detail>' strings
-- (NULL when fine). The parse_<entity>.sql files list them first, then their own.
-- receiver_problem is set by a producer that accepted an event it must not load (the webhook
-- receiver's stale_event, outside its replay window); it is already '<reason_code>: <detail>'.
CREATE OR REPLACE MACRO envelope_problems(event_id, received_at, receiver_problem) AS [
    receiver_problem,
    CASE WHEN coalesce(event_id, '') = '' THEN 'missing_event_id: envelope has no event_id' END,
    CASE WHEN TRY_CAST(received_at AS TIMESTAMPTZ) IS NULL
         THEN 'invalid_timestamp: received_at ' || coalesce('"' || received_at || '"', 'is missing') END
];

CREATE OR REPLACE MACRO currency_problem(field, currency) AS
    CASE WHEN NOT regexp_full_match(coalesce(currency, ''), '[A-Z]{3}')
         THEN 'schema_violation: ' || field || ' ' || coalesce('"' || currency || '"', 'is missing')
              || ' is not an ISO 4217 code' END;
