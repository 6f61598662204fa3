-- Schema problems every raw entity checks the same way, as '<reason_code>: <detail>' strings
-- (NULL when fine). The parse_<entity>.sql files list them first, then their own.
CREATE OR REPLACE MACRO envelope_problems(event_id, received_at) AS [
    CASE WHEN coalesce(event_id, '') = '' THEN 'missing_event_id: envelope has no event_id' END,
    CASE WHEN TRY_CAST(received_at AS TIMESTAMPTZ) IS NULL
         THEN 'invalid_timestamp: received_at ' || coalesce('"' || received_at || '"', 'is missing') END
];

CREATE OR REPLACE MACRO currency_problem(field, currency) AS
    CASE WHEN NOT regexp_full_match(coalesce(currency, ''), '[A-Z]{3}')
         THEN 'schema_violation: ' || field || ' ' || coalesce('"' || currency || '"', 'is missing')
              || ' is not an ISO 4217 code' END;
