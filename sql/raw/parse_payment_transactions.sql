-- Parse each screened line against the GP-API transaction shape and list what breaks the raw
-- schema as '<reason_code>: <detail>'. The cardholder name is deliberately not kept.
--
-- Every field is read from each place the SDK mappers read it (docs/landing_format.md): the
-- card's brand from payment_method.card.brand or, on report rows, the row's own brand; the
-- card number as masked_number_first6last4, or as first six (number_first6, card.bin) and last
-- four (masked_number_last4, number_last4) put back together as 6 + X + 4. Numbers are read as
-- text, so "1500" and 1500 are the same figure and a JSON number is never a float.
-- Contract, read past: payload.account_name, payload.action.time_created, payload.payment_method.name
-- (sent by the source, deliberately not parsed; the payload_shape check knows them.)
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {
                "id": "VARCHAR", "time_created": "VARCHAR", "time_last_updated": "VARCHAR",
                "status": "VARCHAR", "type": "VARCHAR", "channel": "VARCHAR",
                "merchant_id": "VARCHAR", "merchant_name": "VARCHAR", "account_id": "VARCHAR",
                "site_reference": "VARCHAR", "amount": "VARCHAR", "gratuity_amount": "VARCHAR",
                "currency": "VARCHAR", "reference": "VARCHAR", "description": "VARCHAR",
                "batch_id": "VARCHAR", "parent_resource_id": "VARCHAR", "action_create_id": "VARCHAR",
                "brand": "VARCHAR", "number_first6": "VARCHAR", "number_last4": "VARCHAR",
                "payment_method": {
                    "result": "VARCHAR", "message": "VARCHAR", "entry_mode": "VARCHAR", "id": "VARCHAR",
                    "card": {"brand": "VARCHAR", "masked_number_first6last4": "VARCHAR",
                             "masked_number_last4": "VARCHAR", "number_last4": "VARCHAR",
                             "number_first6": "VARCHAR", "bin": "VARCHAR",
                             "authcode": "VARCHAR", "brand_reference": "VARCHAR", "funding": "VARCHAR"}
                },
                "action": {"id": "VARCHAR", "type": "VARCHAR", "result_code": "VARCHAR"}
            }
        }') END AS e
    FROM screened_lines
),
card_numbers AS (
    SELECT
        *,
        upper(nullif(e.payload.payment_method.card.masked_number_first6last4, '')) AS first6last4,
        CASE WHEN regexp_full_match(v_first6, '[0-9]{6}') THEN v_first6 END AS first6,
        CASE WHEN regexp_full_match(right(v_last4, 4), '[0-9]{4}') THEN right(v_last4, 4) END AS last4
    FROM (
        SELECT
            *,
            coalesce(nullif(e.payload.payment_method.card.number_first6, ''),
                     nullif(e.payload.payment_method.card.bin, ''),
                     nullif(e.payload.number_first6, '')) AS v_first6,
            coalesce(nullif(e.payload.payment_method.card.masked_number_last4, ''),
                     nullif(e.payload.payment_method.card.number_last4, ''),
                     nullif(e.payload.number_last4, '')) AS v_last4
        FROM decoded
    )
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
    e.payload.type,
    e.payload.channel,
    e.payload.merchant_id,
    e.payload.merchant_name,
    e.payload.account_id,
    e.payload.site_reference,
    TRY_CAST(e.payload.amount AS BIGINT) AS amount,
    coalesce(TRY_CAST(nullif(e.payload.gratuity_amount, '') AS BIGINT), 0) AS gratuity_amount,
    e.payload.currency,
    e.payload.reference,
    e.payload.description,
    nullif(e.payload.batch_id, '') AS batch_id,
    nullif(e.payload.parent_resource_id, '') AS parent_resource_id,
    e.payload.payment_method.result AS result_code,
    e.payload.payment_method.message AS result_message,
    e.payload.payment_method.entry_mode,
    e.payload.payment_method.id AS payment_token,
    coalesce(nullif(e.payload.payment_method.card.brand, ''), nullif(e.payload.brand, '')) AS card_brand,
    coalesce(first6last4, CASE WHEN first6 IS NOT NULL OR last4 IS NOT NULL
                               THEN coalesce(first6, 'XXXXXX') || 'XXXXXX' || coalesce(last4, 'XXXX') END)
        AS masked_number_first6last4,
    nullif(e.payload.payment_method.card.authcode, '') AS authcode,
    e.payload.payment_method.card.brand_reference,
    e.payload.payment_method.card.funding,
    -- A report row's action, if any, is the read (TRANSACTION_SINGLE/..._LIST): the action that
    -- made the state is then unknown, and the one that created the transaction is what it says.
    CASE WHEN regexp_matches(coalesce(e.payload.action.type, ''), '_(SINGLE|LIST)$') OR nullif(e.payload.action.id, '') IS NULL
         THEN nullif(e.payload.action_create_id, '') ELSE e.payload.action.id END AS action_id,
    e.payload.action.type AS action_type,
    e.payload.action.result_code AS action_result_code,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.id, '') = '' THEN 'schema_violation: payload.id is missing' END,
        CASE WHEN TRY_CAST(e.payload.time_created AS TIMESTAMPTZ) IS NULL
             THEN 'invalid_timestamp: payload.time_created ' || coalesce('"' || e.payload.time_created || '"', 'is missing') END,
        CASE WHEN e.payload.status IS NULL THEN 'schema_violation: payload.status is missing' END,
        CASE WHEN e.payload.type IS NULL OR e.payload.type NOT IN ('SALE', 'REFUND')
             THEN 'schema_violation: payload.type ' || coalesce('"' || e.payload.type || '"', 'is missing') || ' is not SALE or REFUND' END,
        CASE WHEN coalesce(e.payload.merchant_id, '') = '' THEN 'schema_violation: payload.merchant_id is missing' END,
        currency_problem('payload.currency', e.payload.currency),
        -- A transaction's amounts are unsigned minor units, its sign is its type (SALE/REFUND):
        -- a negative figure here is illegal wherever it appears, and named.
        CASE WHEN starts_with(e.payload.amount, '-')
             THEN 'negative_amount: payload.amount "' || e.payload.amount || '" (GP-API amounts are unsigned minor units; the type gives the sign)' END,
        CASE WHEN starts_with(e.payload.gratuity_amount, '-')
             THEN 'negative_amount: payload.gratuity_amount "' || e.payload.gratuity_amount || '" (GP-API amounts are unsigned minor units; the type gives the sign)' END,
        CASE WHEN NOT regexp_full_match(coalesce(e.payload.amount, ''), '[0-9]{1,15}')
                  -- coalesce: a missing amount (NULL) is quarantined too, not loaded as NULL.
                  AND NOT coalesce(starts_with(e.payload.amount, '-'), false)
             THEN 'invalid_amount: payload.amount ' || coalesce('"' || e.payload.amount || '"', 'is missing')
                  || ' is not an integer string of minor units' END,
        CASE WHEN NOT regexp_full_match(coalesce(nullif(e.payload.gratuity_amount, ''), '0'), '-?[0-9]{1,15}')
             THEN 'invalid_amount: payload.gratuity_amount "' || e.payload.gratuity_amount || '" is not an integer string' END
    ], lambda p: p IS NOT NULL) END AS problems
FROM card_numbers;
