-- Parse each screened line against the POS ticket shape; list what breaks the raw schema.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR",
            "payload": {
                "ticket_id": "VARCHAR", "store_id": "VARCHAR", "register_id": "VARCHAR",
                "cashier_id": "VARCHAR", "ticket_type": "VARCHAR", "status": "VARCHAR",
                "currency": "VARCHAR", "opened_at": "VARCHAR", "closed_at": "VARCHAR",
                "original_ticket_id": "VARCHAR", "note": "VARCHAR",
                "subtotal": "VARCHAR", "discount_total": "VARCHAR", "tax_total": "VARCHAR", "total": "VARCHAR",
                "lines": [{"line_number": "VARCHAR", "sku": "VARCHAR", "description": "VARCHAR",
                           "quantity": "VARCHAR", "unit_price": "VARCHAR", "discount_amount": "VARCHAR",
                           "tax_code": "VARCHAR", "tax_amount": "VARCHAR", "unit_cost": "VARCHAR",
                           "line_total": "VARCHAR"}],
                "tenders": [{"tender_id": "VARCHAR", "tender_type": "VARCHAR", "amount": "VARCHAR",
                             "tip_amount": "VARCHAR", "gateway_transaction_id": "VARCHAR",
                             "card_brand": "VARCHAR", "masked_number_first6last4": "VARCHAR",
                             "gift_card_last4": "VARCHAR"}]
            }
        }') END AS e
    FROM screened_lines
),
amounts AS (
    -- Checking every amount of every line and tender element by element is the costly part of
    -- parsing a ticket, so one pass over the text first finds the tickets that can fail it: an
    -- amount that is not a string of 1-15 digits, or a quantity that is not a positive integer.
    -- Only those get the element-by-element diagnosis below.
    SELECT
        *,
        regexp_matches(line, '"(?:subtotal|discount_total|tax_total|total|unit_price|discount_amount|tax_amount|unit_cost|line_total|amount|tip_amount)":(?:"(?:[0-9]{0,15}[^0-9"][^"]*|[0-9]{16,})?"|[^"])|"quantity":(?:[^0-9]|0[^0-9])')
            AS needs_amount_detail
    FROM decoded
),
detailed AS (
    SELECT
        *,
        CASE WHEN needs_amount_detail THEN
            [e.payload.subtotal, e.payload.discount_total, e.payload.tax_total, e.payload.total]
            || flatten(list_transform(coalesce(e.payload.lines, []),
                                      lambda l: [l.unit_price, l.discount_amount, l.tax_amount, l.unit_cost, l.line_total]))
            || flatten(list_transform(coalesce(e.payload.tenders, []),
                                      lambda t: [t.amount, coalesce(t.tip_amount, '0')]))
        END AS money_fields
    FROM amounts
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id,
    e.event_type,
    TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.ticket_id,
    e.payload.store_id,
    e.payload.register_id,
    e.payload.cashier_id,
    e.payload.ticket_type,
    e.payload.status,
    e.payload.currency,
    TRY_CAST(e.payload.opened_at AS TIMESTAMPTZ) AS opened_at,
    TRY_CAST(e.payload.closed_at AS TIMESTAMPTZ) AS closed_at,
    nullif(e.payload.original_ticket_id, '') AS original_ticket_id,
    e.payload.note,
    TRY_CAST(e.payload.subtotal AS BIGINT) AS subtotal,
    TRY_CAST(e.payload.discount_total AS BIGINT) AS discount_total,
    TRY_CAST(e.payload.tax_total AS BIGINT) AS tax_total,
    TRY_CAST(e.payload.total AS BIGINT) AS total,
    list_transform(coalesce(e.payload.lines, []), lambda l: {
        'line_number': TRY_CAST(l.line_number AS BIGINT),
        'sku': l.sku,
        'description': l.description,
        'quantity': TRY_CAST(l.quantity AS BIGINT),
        'unit_price': TRY_CAST(l.unit_price AS BIGINT),
        'discount_amount': TRY_CAST(l.discount_amount AS BIGINT),
        'tax_code': l.tax_code,
        'tax_amount': TRY_CAST(l.tax_amount AS BIGINT),
        'unit_cost': TRY_CAST(l.unit_cost AS BIGINT),
        'line_total': TRY_CAST(l.line_total AS BIGINT)
    }) AS lines,
    list_transform(coalesce(e.payload.tenders, []), lambda t: {
        'tender_id': t.tender_id,
        'tender_type': t.tender_type,
        'amount': TRY_CAST(t.amount AS BIGINT),
        'tip_amount': coalesce(TRY_CAST(nullif(t.tip_amount, '') AS BIGINT), 0),
        'gateway_transaction_id': nullif(t.gateway_transaction_id, ''),
        'card_brand': nullif(t.card_brand, ''),
        'masked_number_first6last4': nullif(t.masked_number_first6last4, ''),
        'gift_card_last4': nullif(t.gift_card_last4, '')
    }) AS tenders,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter([
        CASE WHEN coalesce(e.event_id, '') = '' THEN 'missing_event_id: envelope has no event_id' END,
        CASE WHEN TRY_CAST(e.received_at AS TIMESTAMPTZ) IS NULL
             THEN 'invalid_timestamp: received_at ' || coalesce('"' || e.received_at || '"', 'is missing') END,
        CASE WHEN coalesce(e.payload.ticket_id, '') = '' THEN 'schema_violation: payload.ticket_id is missing' END,
        CASE WHEN coalesce(e.payload.store_id, '') = '' THEN 'schema_violation: payload.store_id is missing' END,
        CASE WHEN e.payload.ticket_type IS NULL OR e.payload.ticket_type NOT IN ('SALE', 'RETURN')
             THEN 'schema_violation: payload.ticket_type ' || coalesce('"' || e.payload.ticket_type || '"', 'is missing') || ' is not SALE or RETURN' END,
        CASE WHEN e.payload.status IS NULL THEN 'schema_violation: payload.status is missing' END,
        CASE WHEN TRY_CAST(e.payload.closed_at AS TIMESTAMPTZ) IS NULL
             THEN 'invalid_timestamp: payload.closed_at ' || coalesce('"' || e.payload.closed_at || '"', 'is missing') END,
        CASE WHEN NOT regexp_full_match(coalesce(e.payload.currency, ''), '[A-Z]{3}')
             THEN 'schema_violation: payload.currency ' || coalesce('"' || e.payload.currency || '"', 'is missing') || ' is not an ISO 4217 code' END,
        CASE WHEN len(coalesce(e.payload.lines, [])) = 0 THEN 'schema_violation: payload.lines is missing or empty' END,
        CASE WHEN e.payload.tenders IS NULL THEN 'schema_violation: payload.tenders is missing' END,
        CASE WHEN needs_amount_detail THEN CASE
            WHEN list_bool_or(list_transform(coalesce(e.payload.lines, []),
                                             lambda l: NOT regexp_full_match(coalesce(l.quantity, ''), '[1-9][0-9]{0,8}')))
            THEN 'schema_violation: a line quantity is missing or not a positive integer' END END,
        CASE WHEN needs_amount_detail THEN CASE
            WHEN list_bool_or(list_transform(money_fields, lambda m: starts_with(m, '-')))
            THEN 'negative_amount: a ticket amount is negative (' || array_to_string(list_filter(money_fields, lambda m: starts_with(m, '-')), ', ') || ')' END END,
        CASE WHEN needs_amount_detail THEN CASE
            WHEN list_bool_or(list_transform(money_fields, lambda m: NOT regexp_full_match(coalesce(m, ''), '-?[0-9]{1,15}')))
            THEN 'invalid_amount: a ticket amount is missing or not an integer string of minor units' END END
    ], lambda p: p IS NOT NULL) END AS problems
FROM detailed;
