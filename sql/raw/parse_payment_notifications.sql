-- Parse each screened line as a GP-API transaction resource delivered to a status_url (or found
-- by the poll) and list what breaks the raw schema as '<reason_code>: <detail>'. The order is read
-- where GP's own plugin reads it: link_data.reference first, then order.reference, then the
-- top-level reference. Numbers are read as text, never as floats.
-- Contract, read past: payload.account_id, payload.account_name, payload.merchant_id, payload.merchant_name
-- Contract, read past: payload.site_reference, payload.channel, payload.capture_mode, payload.country
-- Contract, read past: payload.description, payload.batch_id, payload.gratuity_amount
-- Contract, read past: payload.payment_method.id, payload.payment_method.entry_mode, payload.payment_method.card
-- Contract, read past: payload.action.id, payload.action.type, payload.action.time_created
-- Contract, read past: payload.action.app_id, payload.action.app_name
-- (sent by the source, deliberately not parsed: the order's money, status and reference are
-- what a notification is for; the transaction's own record, card included, comes with the
-- gateway pull. The payload_shape check knows them.)
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {
                "id": "VARCHAR", "time_created": "VARCHAR", "time_last_updated": "VARCHAR",
                "status": "VARCHAR", "type": "VARCHAR", "amount": "VARCHAR", "currency": "VARCHAR",
                "reference": "VARCHAR", "parent_resource_id": "VARCHAR",
                "order": {"reference": "VARCHAR"},
                "link_data": {"id": "VARCHAR", "reference": "VARCHAR"},
                "payment_method": {"result": "VARCHAR", "message": "VARCHAR"},
                "action": {"result_code": "VARCHAR"}
            }
        }') END AS e
    FROM screened_lines
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id,
    e.event_type,
    TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.id AS transaction_id,
    TRY_CAST(e.payload.time_created AS TIMESTAMPTZ) AS time_created,
    TRY_CAST(nullif(e.payload.time_last_updated, '') AS TIMESTAMPTZ) AS time_last_updated,
    e.payload.status,
    coalesce(nullif(e.payload.type, ''), 'SALE') AS type,
    TRY_CAST(e.payload.amount AS BIGINT) AS amount,
    e.payload.currency,
    coalesce(nullif(trim(e.payload.link_data.reference), ''), nullif(trim(e.payload."order".reference), ''),
             nullif(trim(e.payload.reference), '')) AS order_reference,
    nullif(e.payload.reference, '') AS reference,
    nullif(e.payload.link_data.id, '') AS link_id,
    nullif(e.payload.parent_resource_id, '') AS parent_resource_id,
    e.payload.payment_method.result AS result_code,
    e.payload.payment_method.message AS result_message,
    e.payload.action.result_code AS action_result_code,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN NOT starts_with(coalesce(e.payload.id, ''), 'TRN_')
             THEN 'schema_violation: payload.id ' || coalesce('"' || e.payload.id || '"', 'is missing') || ' is not a transaction (TRN_…)' END,
        CASE WHEN TRY_CAST(e.payload.time_created AS TIMESTAMPTZ) IS NULL
             THEN 'invalid_timestamp: payload.time_created ' || coalesce('"' || e.payload.time_created || '"', 'is missing') END,
        CASE WHEN coalesce(e.payload.status, '') = '' THEN 'schema_violation: payload.status is missing' END,
        CASE WHEN coalesce(nullif(e.payload.type, ''), 'SALE') NOT IN ('SALE', 'REFUND')
             THEN 'schema_violation: payload.type "' || e.payload.type || '" is not SALE or REFUND' END,
        currency_problem('payload.currency', e.payload.currency),
        CASE WHEN starts_with(e.payload.amount, '-')
             THEN 'negative_amount: payload.amount "' || e.payload.amount || '" (GP-API amounts are unsigned minor units; the type gives the sign)' END,
        CASE WHEN NOT regexp_full_match(coalesce(e.payload.amount, ''), '[0-9]{1,15}')
                  -- coalesce: a missing amount (NULL) is quarantined too, not loaded as NULL.
                  AND NOT coalesce(starts_with(e.payload.amount, '-'), false)
             THEN 'invalid_amount: payload.amount ' || coalesce('"' || e.payload.amount || '"', 'is missing')
                  || ' is not an integer string of minor units' END
    ], lambda p: p IS NOT NULL) END AS problems
FROM decoded;
