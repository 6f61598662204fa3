-- Parse each screened line against the batch shape; list what breaks the raw schema.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {
                "id": "VARCHAR", "status": "VARCHAR", "time_created": "VARCHAR", "time_closed": "VARCHAR",
                "merchant_id": "VARCHAR", "merchant_name": "VARCHAR", "site_reference": "VARCHAR",
                "currency": "VARCHAR", "amount": "VARCHAR", "transaction_count": "VARCHAR",
                "sales": {"count": "VARCHAR", "amount": "VARCHAR"},
                "refunds": {"count": "VARCHAR", "amount": "VARCHAR"},
                "gratuity_amount": "VARCHAR",
                "brand_breakdown": [{"brand": "VARCHAR", "count": "VARCHAR", "amount": "VARCHAR",
                                     "sales": {"count": "VARCHAR", "amount": "VARCHAR"},
                                     "refunds": {"count": "VARCHAR", "amount": "VARCHAR"},
                                     "fees_amount": "VARCHAR"}],
                "deposit": {"id": "VARCHAR", "time_created": "VARCHAR", "status": "VARCHAR",
                            "amount": "VARCHAR", "fees": {"amount": "VARCHAR"}}
            }
        }') END AS e
    FROM screened_lines
),
amounts AS (
    -- Every money and count field of the batch with its name, to test them all the same way.
    -- Which signs are legal (docs/ingestion.md): the net figures (batch amount, brand amount,
    -- deposit) go negative on a day whose refunds exceed its sales; refunds come in either sign
    -- (GP's deposit sample writes them negative, the batch convention is not shown) and are kept
    -- as a positive figure; gross sales, gratuities, fees and every count are never negative.
    SELECT
        *,
        [{'field': 'payload.sales.amount', 'value': e.payload.sales.amount},
         {'field': 'payload.gratuity_amount', 'value': coalesce(e.payload.gratuity_amount, '0')},
         {'field': 'payload.deposit.fees.amount', 'value': e.payload.deposit.fees.amount},
         {'field': 'payload.transaction_count', 'value': e.payload.transaction_count},
         {'field': 'payload.sales.count', 'value': e.payload.sales.count},
         {'field': 'payload.refunds.count', 'value': e.payload.refunds.count}]
        || flatten(list_transform(coalesce(e.payload.brand_breakdown, []), lambda b: [
            {'field': 'payload.brand_breakdown[' || coalesce(b.brand, '') || '].sales.amount', 'value': b.sales.amount},
            {'field': 'payload.brand_breakdown[' || coalesce(b.brand, '') || '].fees_amount', 'value': b.fees_amount}]))
            AS unsigned_fields,
        [{'field': 'payload.amount', 'value': e.payload.amount},
         {'field': 'payload.refunds.amount', 'value': e.payload.refunds.amount},
         {'field': 'payload.deposit.amount', 'value': e.payload.deposit.amount}]
        || flatten(list_transform(coalesce(e.payload.brand_breakdown, []), lambda b: [
            {'field': 'payload.brand_breakdown[' || coalesce(b.brand, '') || '].amount', 'value': b.amount},
            {'field': 'payload.brand_breakdown[' || coalesce(b.brand, '') || '].refunds.amount', 'value': b.refunds.amount}]))
            AS signed_fields
    FROM decoded
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id,
    e.event_type,
    TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.id AS batch_id,
    e.payload.status,
    TRY_CAST(e.payload.time_created AS TIMESTAMPTZ) AS time_created,
    TRY_CAST(e.payload.time_closed AS TIMESTAMPTZ) AS time_closed,
    e.payload.merchant_id,
    e.payload.merchant_name,
    e.payload.site_reference,
    e.payload.currency,
    TRY_CAST(e.payload.amount AS BIGINT) AS amount,
    TRY_CAST(e.payload.transaction_count AS BIGINT) AS transaction_count,
    TRY_CAST(e.payload.sales.count AS BIGINT) AS sales_count,
    TRY_CAST(e.payload.sales.amount AS BIGINT) AS sales_amount,
    TRY_CAST(e.payload.refunds.count AS BIGINT) AS refunds_count,
    abs(TRY_CAST(e.payload.refunds.amount AS BIGINT)) AS refunds_amount,
    coalesce(TRY_CAST(nullif(e.payload.gratuity_amount, '') AS BIGINT), 0) AS gratuity_amount,
    list_transform(coalesce(e.payload.brand_breakdown, []), lambda b: {
        'brand': b.brand,
        'count': TRY_CAST(b.count AS BIGINT),
        'amount': TRY_CAST(b.amount AS BIGINT),
        'sales_count': TRY_CAST(b.sales.count AS BIGINT),
        'sales_amount': TRY_CAST(b.sales.amount AS BIGINT),
        'refunds_count': TRY_CAST(b.refunds.count AS BIGINT),
        'refunds_amount': abs(TRY_CAST(b.refunds.amount AS BIGINT)),
        'fees_amount': TRY_CAST(b.fees_amount AS BIGINT)
    }) AS brand_breakdown,
    e.payload.deposit.id AS deposit_id,
    TRY_CAST(e.payload.deposit.time_created AS DATE) AS deposit_date,
    e.payload.deposit.status AS deposit_status,
    TRY_CAST(e.payload.deposit.amount AS BIGINT) AS deposit_amount,
    coalesce(TRY_CAST(e.payload.deposit.fees.amount AS BIGINT),
             list_sum(list_transform(coalesce(e.payload.brand_breakdown, []),
                                     lambda b: TRY_CAST(b.fees_amount AS BIGINT))), 0) AS fees_amount,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.id, '') = '' THEN 'schema_violation: payload.id is missing' END,
        CASE WHEN e.payload.status IS NULL THEN 'schema_violation: payload.status is missing' END,
        CASE WHEN coalesce(e.payload.merchant_id, '') = '' THEN 'schema_violation: payload.merchant_id is missing' END,
        currency_problem('payload.currency', e.payload.currency),
        CASE WHEN e.payload.brand_breakdown IS NULL THEN 'schema_violation: payload.brand_breakdown is missing' END,
        CASE WHEN list_bool_or(list_transform(unsigned_fields, lambda f: starts_with(f.value, '-')))
             THEN 'negative_amount: ' || array_to_string(list_transform(
                 list_filter(unsigned_fields, lambda f: starts_with(f.value, '-')),
                 lambda f: f.field || ' "' || f.value || '"'), ', ') || ' (never negative)' END,
        CASE WHEN list_bool_or(list_transform(unsigned_fields || signed_fields,
                                              lambda f: NOT regexp_full_match(coalesce(f.value, ''), '-?[0-9]{1,15}')))
             THEN 'invalid_amount: ' || array_to_string(list_transform(
                 list_filter(unsigned_fields || signed_fields,
                             lambda f: NOT regexp_full_match(coalesce(f.value, ''), '-?[0-9]{1,15}')),
                 lambda f: f.field || coalesce(' "' || f.value || '"', ' is missing')), ', ')
                 || ' (integer minor units or counts)' END
    ], lambda p: p IS NOT NULL) END AS problems
FROM amounts;
