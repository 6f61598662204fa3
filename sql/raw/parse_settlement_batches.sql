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
    -- Every money and count field of the batch, to test them all the same way.
    SELECT
        *,
        -- Gross figures are unsigned; the net figures (batch amount, brand amount, deposit) go
        -- negative on a day with more refunds than sales, so only their format is checked.
        [e.payload.sales.amount, e.payload.refunds.amount, coalesce(e.payload.gratuity_amount, '0'),
         e.payload.deposit.fees.amount]
        || flatten(list_transform(coalesce(e.payload.brand_breakdown, []),
                                  lambda b: [b.sales.amount, b.refunds.amount, b.fees_amount]))
            AS money_fields,
        [e.payload.amount, e.payload.deposit.amount]
        || list_transform(coalesce(e.payload.brand_breakdown, []), lambda b: b.amount)
            AS net_fields,
        [e.payload.transaction_count, e.payload.sales.count, e.payload.refunds.count]
            AS count_fields
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
    TRY_CAST(e.payload.refunds.amount AS BIGINT) AS refunds_amount,
    coalesce(TRY_CAST(nullif(e.payload.gratuity_amount, '') AS BIGINT), 0) AS gratuity_amount,
    list_transform(coalesce(e.payload.brand_breakdown, []), lambda b: {
        'brand': b.brand,
        'count': TRY_CAST(b.count AS BIGINT),
        'amount': TRY_CAST(b.amount AS BIGINT),
        'sales_count': TRY_CAST(b.sales.count AS BIGINT),
        'sales_amount': TRY_CAST(b.sales.amount AS BIGINT),
        'refunds_count': TRY_CAST(b.refunds.count AS BIGINT),
        'refunds_amount': TRY_CAST(b.refunds.amount AS BIGINT),
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
        CASE WHEN list_bool_or(list_transform(money_fields, lambda m: starts_with(m, '-')))
             THEN 'negative_amount: a batch amount is negative (' || array_to_string(list_filter(money_fields, lambda m: starts_with(m, '-')), ', ') || ')' END,
        CASE WHEN list_bool_or(list_transform(money_fields || net_fields || count_fields,
                                              lambda m: NOT regexp_full_match(coalesce(m, ''), '-?[0-9]{1,15}')))
             THEN 'invalid_amount: a batch amount or count is missing or not an integer string' END
    ], lambda p: p IS NOT NULL) END AS problems
FROM amounts;
