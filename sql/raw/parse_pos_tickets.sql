-- Parse each screened line against the POS ticket shape; list what breaks the raw schema.
-- Lines and tenders are typed by from_json itself (amounts straight to BIGINT) and stored as the
-- POS sent them (empty strings stay empty; the canonical layer reads them as absent), because
-- rebuilding millions of nested elements is the costly part of this parse. from_json is lenient
-- with numbers ("1.5" would become 2), so one pass over the text first finds any ticket whose
-- amounts are not strings of 1-15 digits or whose quantities are not positive integers; only
-- those are parsed again as text and diagnosed element by element.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {
                "ticket_id": "VARCHAR", "store_id": "VARCHAR", "register_id": "VARCHAR",
                "cashier_id": "VARCHAR", "ticket_type": "VARCHAR", "status": "VARCHAR",
                "currency": "VARCHAR", "opened_at": "VARCHAR", "closed_at": "VARCHAR",
                "original_ticket_id": "VARCHAR", "note": "VARCHAR",
                "subtotal": "BIGINT", "discount_total": "BIGINT", "tax_total": "BIGINT", "total": "BIGINT",
                "lines": [{"line_number": "BIGINT", "sku": "VARCHAR", "description": "VARCHAR",
                           "quantity": "BIGINT", "unit_price": "BIGINT", "discount_amount": "BIGINT",
                           "tax_code": "VARCHAR", "tax_amount": "BIGINT", "unit_cost": "BIGINT",
                           "line_total": "BIGINT"}],
                "tenders": [{"tender_id": "VARCHAR", "tender_type": "VARCHAR", "amount": "BIGINT",
                             "tip_amount": "BIGINT", "gateway_transaction_id": "VARCHAR",
                             "card_brand": "VARCHAR", "masked_number_first6last4": "VARCHAR",
                             "gift_card_last4": "VARCHAR"}]
            }
        }') END AS e,
        screen_problem IS NULL AND regexp_matches(line,
            '"(?:subtotal|discount_total|tax_total|total|unit_price|discount_amount|tax_amount|unit_cost|line_total|amount|tip_amount)":(?:"(?:[0-9]{0,15}[^0-9"][^"]*|[0-9]{16,})?"|[^"])|"quantity":(?:[^0-9]|0[^0-9])'
        ) AS needs_amount_detail
    FROM screened_lines
),
detailed AS (
    SELECT
        *,
        CASE WHEN needs_amount_detail THEN from_json(line, '{"payload": {
            "subtotal": "VARCHAR", "discount_total": "VARCHAR", "tax_total": "VARCHAR", "total": "VARCHAR",
            "lines": [{"quantity": "VARCHAR", "unit_price": "VARCHAR", "discount_amount": "VARCHAR",
                       "tax_amount": "VARCHAR", "unit_cost": "VARCHAR", "line_total": "VARCHAR"}],
            "tenders": [{"amount": "VARCHAR", "tip_amount": "VARCHAR"}]
        }}').payload END AS as_text
    FROM decoded
),
diagnosed AS (
    SELECT
        *,
        CASE WHEN needs_amount_detail THEN
            [as_text.subtotal, as_text.discount_total, as_text.tax_total, as_text.total]
            || flatten(list_transform(coalesce(as_text.lines, []),
                                      lambda l: [l.unit_price, l.discount_amount, l.tax_amount, l.unit_cost, l.line_total]))
            || flatten(list_transform(coalesce(as_text.tenders, []),
                                      lambda t: [t.amount, coalesce(t.tip_amount, '0')]))
        END AS money_fields
    FROM detailed
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
    e.payload.subtotal,
    e.payload.discount_total,
    e.payload.tax_total,
    e.payload.total,
    coalesce(e.payload.lines, []) AS lines,
    coalesce(e.payload.tenders, []) AS tenders,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.ticket_id, '') = '' THEN 'schema_violation: payload.ticket_id is missing' END,
        CASE WHEN coalesce(e.payload.store_id, '') = '' THEN 'schema_violation: payload.store_id is missing' END,
        CASE WHEN e.payload.ticket_type IS NULL OR e.payload.ticket_type NOT IN ('SALE', 'RETURN')
             THEN 'schema_violation: payload.ticket_type ' || coalesce('"' || e.payload.ticket_type || '"', 'is missing') || ' is not SALE or RETURN' END,
        CASE WHEN e.payload.status IS NULL THEN 'schema_violation: payload.status is missing' END,
        CASE WHEN TRY_CAST(e.payload.closed_at AS TIMESTAMPTZ) IS NULL
             THEN 'invalid_timestamp: payload.closed_at ' || coalesce('"' || e.payload.closed_at || '"', 'is missing') END,
        currency_problem('payload.currency', e.payload.currency),
        CASE WHEN len(coalesce(e.payload.lines, [])) = 0 THEN 'schema_violation: payload.lines is missing or empty' END,
        CASE WHEN e.payload.tenders IS NULL THEN 'schema_violation: payload.tenders is missing' END,
        CASE WHEN needs_amount_detail THEN CASE
            WHEN list_bool_or(list_transform(coalesce(as_text.lines, []),
                                             lambda l: NOT regexp_full_match(coalesce(l.quantity, ''), '[1-9][0-9]{0,8}')))
            THEN 'schema_violation: a line quantity is missing or not a positive integer' END END,
        CASE WHEN needs_amount_detail THEN CASE
            WHEN list_bool_or(list_transform(money_fields, lambda m: starts_with(m, '-')))
            THEN 'negative_amount: a ticket amount is negative (' || array_to_string(list_filter(money_fields, lambda m: starts_with(m, '-')), ', ') || ')' END END,
        CASE WHEN needs_amount_detail THEN CASE
            WHEN list_bool_or(list_transform(money_fields, lambda m: NOT regexp_full_match(coalesce(m, ''), '-?[0-9]{1,15}')))
            THEN 'invalid_amount: a ticket amount is missing or not an integer string of minor units' END END
    ], lambda p: p IS NOT NULL) END AS problems
FROM diagnosed;
