-- Parse each screened line against the Heartland Retail ticket shape (docs/heartland_retail.md)
-- and list what breaks the raw schema as '<reason_code>: <detail>'. Money arrives as JSON numbers
-- in major units and is always read from the number's own digits, never through a binary float.
-- An amount with more than two decimals or that is not a number quarantines the ticket, naming
-- the field (never the value: a ticket carries the customer's name). Ids are kept as text.
--
-- The healthy ticket is parsed once, its amounts typed by from_json itself as the columns hold
-- them (DECIMAL(18, 2), quantities DECIMAL(18, 4)) and its lines stored as parsed: rebuilding
-- millions of nested elements field by field is the costly part of a parse. That typed read
-- rounds a third decimal and takes a string, true or an exponent for a number, so one pass of a
-- regular expression over the text first flags every ticket where an amount key is followed by
-- anything but a plain JSON number of at most 16 integer digits and two decimals (quantities:
-- 14 and four): a string, an exponent, more decimals, null, true, or white space or an escaped
-- key name the pass cannot vouch for. Flagging too much only costs time. A flagged ticket, or one
-- missing a required amount, is read twice more, typed wide (DECIMAL(38, 10)) and as text (to
-- tell an absent amount from one that is not a number), and diagnosed field by field
-- (money_problems, quantity_problems); its amounts come from the wide read (exact_money).
-- Contract, read past: payload.payments[*].created_at, payload.payments[*].updated_at, payload.lines[*].created_at, payload.lines[*].updated_at
-- (sent by the source, deliberately not parsed; the payload_shape check knows them.)
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {
                "id": "VARCHAR", "public_id": "VARCHAR", "status": "VARCHAR", "station_id": "VARCHAR",
                "source_location_id": "VARCHAR", "customer_id": "VARCHAR", "customer_name": "VARCHAR",
                "sales_rep": "VARCHAR", "created_at": "VARCHAR", "completed_at": "VARCHAR", "updated_at": "VARCHAR",
                "subtotal": "DECIMAL(18,2)", "tax_total": "DECIMAL(18,2)", "total": "DECIMAL(18,2)",
                "total_paid": "DECIMAL(18,2)", "balance": "DECIMAL(18,2)",
                "custom": {"note": "VARCHAR"},
                "lines": [{"id": "VARCHAR", "type": "VARCHAR", "item_id": "VARCHAR", "item_public_id": "VARCHAR",
                           "description": "VARCHAR", "qty": "DECIMAL(18,4)",
                           "original_unit_price": "DECIMAL(18,2)", "unit_price": "DECIMAL(18,2)",
                           "adjusted_unit_price": "DECIMAL(18,2)", "value": "DECIMAL(18,2)",
                           "unit_cost": "DECIMAL(18,2)", "gift_card_number_last4": "VARCHAR"}],
                "payments": [{"id": "VARCHAR", "type": "VARCHAR", "payment_type_id": "VARCHAR",
                              "description": "VARCHAR", "amount": "DECIMAL(18,2)", "tip": "DECIMAL(18,2)",
                              "custom": {"gateway_transaction_id": "VARCHAR"}}]
            }
        }') END AS e,
        screen_problem IS NULL AND regexp_matches(line,
            '"(?:subtotal|tax_total|total|total_paid|balance|original_unit_price|unit_price|adjusted_unit_price|value|unit_cost|amount|tip)"'
            || '(?:\s|:\s|:(?:[^-0-9]|-[^0-9]|-?[0-9]{17}|-?[0-9]+\.(?:[0-9]{3}|[^0-9])|-?[0-9]+(?:\.[0-9]{1,2})?[^0-9.,}\]]))'
            || '|"qty"(?:\s|:\s|:(?:[^-0-9]|-[^0-9]|-?[0-9]{15}|-?[0-9]+\.(?:[0-9]{5}|[^0-9])|-?[0-9]+(?:\.[0-9]{1,4})?[^0-9.,}\]]))'
            || '|\\[^"]*"\s*:'
        ) AS flagged
    FROM screened_lines
),
routed AS (
    SELECT
        *,
        flagged OR (screen_problem IS NULL AND (
            e.payload.tax_total IS NULL OR e.payload.total IS NULL
            OR list_bool_or(list_transform(e.payload.lines, lambda l: l.value IS NULL OR l.qty IS NULL))
            OR list_bool_or(list_transform(e.payload.payments, lambda p: p.amount IS NULL))
        )) AS needs_amount_detail
    FROM decoded
),
detailed AS (
    SELECT
        *,
        CASE WHEN needs_amount_detail THEN from_json(line, '{"payload": {
            "subtotal": "DECIMAL(38,10)", "tax_total": "DECIMAL(38,10)", "total": "DECIMAL(38,10)",
            "total_paid": "DECIMAL(38,10)", "balance": "DECIMAL(38,10)",
            "lines": [{"qty": "DECIMAL(38,10)", "original_unit_price": "DECIMAL(38,10)", "unit_price": "DECIMAL(38,10)",
                       "adjusted_unit_price": "DECIMAL(38,10)", "value": "DECIMAL(38,10)", "unit_cost": "DECIMAL(38,10)"}],
            "payments": [{"amount": "DECIMAL(38,10)", "tip": "DECIMAL(38,10)"}]
        }}').payload END AS w,
        CASE WHEN needs_amount_detail THEN from_json(line, '{"payload": {
            "subtotal": "VARCHAR", "tax_total": "VARCHAR", "total": "VARCHAR", "total_paid": "VARCHAR",
            "balance": "VARCHAR",
            "lines": [{"qty": "VARCHAR", "original_unit_price": "VARCHAR", "unit_price": "VARCHAR",
                       "adjusted_unit_price": "VARCHAR", "value": "VARCHAR", "unit_cost": "VARCHAR"}],
            "payments": [{"amount": "VARCHAR", "tip": "VARCHAR"}]
        }}').payload END AS t
    FROM routed
),
amounts AS (
    SELECT
        *,
        CASE WHEN needs_amount_detail THEN
            [{'field': 'payload.subtotal', 'amount': w.subtotal, 'text': t.subtotal, 'required': false},
             {'field': 'payload.tax_total', 'amount': w.tax_total, 'text': t.tax_total, 'required': true},
             {'field': 'payload.total', 'amount': w.total, 'text': t.total, 'required': true},
             {'field': 'payload.total_paid', 'amount': w.total_paid, 'text': t.total_paid, 'required': false},
             {'field': 'payload.balance', 'amount': w.balance, 'text': t.balance, 'required': false}]
            || flatten(list_transform(coalesce(w.lines, []), lambda l, i: [
                {'field': 'payload.lines[' || i || '].original_unit_price', 'amount': l.original_unit_price,
                 'text': t.lines[i].original_unit_price, 'required': false},
                {'field': 'payload.lines[' || i || '].unit_price', 'amount': l.unit_price,
                 'text': t.lines[i].unit_price, 'required': false},
                {'field': 'payload.lines[' || i || '].adjusted_unit_price', 'amount': l.adjusted_unit_price,
                 'text': t.lines[i].adjusted_unit_price, 'required': false},
                {'field': 'payload.lines[' || i || '].value', 'amount': l.value, 'text': t.lines[i].value, 'required': true},
                {'field': 'payload.lines[' || i || '].unit_cost', 'amount': l.unit_cost,
                 'text': t.lines[i].unit_cost, 'required': false}]))
            || flatten(list_transform(coalesce(w.payments, []), lambda p, i: [
                {'field': 'payload.payments[' || i || '].amount', 'amount': p.amount,
                 'text': t.payments[i].amount, 'required': true},
                {'field': 'payload.payments[' || i || '].tip', 'amount': p.tip,
                 'text': t.payments[i].tip, 'required': false}]))
        END AS money_fields,
        CASE WHEN needs_amount_detail THEN
            list_transform(coalesce(w.lines, []), lambda l, i:
                {'field': 'payload.lines[' || i || '].qty', 'amount': l.qty, 'text': t.lines[i].qty, 'required': true})
        END AS quantity_fields
    FROM detailed
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id,
    e.event_type,
    TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.id AS ticket_id,
    e.payload.public_id,
    e.payload.status,
    e.payload.station_id,
    e.payload.source_location_id,
    e.payload.customer_id,
    e.payload.customer_name,
    e.payload.sales_rep,
    TRY_CAST(e.payload.created_at AS TIMESTAMPTZ) AS created_at,
    TRY_CAST(e.payload.completed_at AS TIMESTAMPTZ) AS completed_at,
    TRY_CAST(e.payload.updated_at AS TIMESTAMPTZ) AS updated_at,
    CASE WHEN needs_amount_detail THEN exact_money(w.subtotal) ELSE e.payload.subtotal END AS subtotal,
    CASE WHEN needs_amount_detail THEN exact_money(w.tax_total) ELSE e.payload.tax_total END AS tax_total,
    CASE WHEN needs_amount_detail THEN exact_money(w.total) ELSE e.payload.total END AS total,
    CASE WHEN needs_amount_detail THEN exact_money(w.total_paid) ELSE e.payload.total_paid END AS total_paid,
    CASE WHEN needs_amount_detail THEN exact_money(w.balance) ELSE e.payload.balance END AS balance,
    e.payload.custom.note AS note,
    CASE WHEN needs_amount_detail
        THEN list_transform(coalesce(e.payload.lines, []), lambda l, i: {
            'id': l.id, 'type': l.type, 'item_id': l.item_id, 'item_public_id': l.item_public_id,
            'description': l.description, 'qty': exact_quantity(w.lines[i].qty),
            'original_unit_price': exact_money(w.lines[i].original_unit_price),
            'unit_price': exact_money(w.lines[i].unit_price),
            'adjusted_unit_price': exact_money(w.lines[i].adjusted_unit_price),
            'value': exact_money(w.lines[i].value), 'unit_cost': exact_money(w.lines[i].unit_cost),
            'gift_card_number_last4': l.gift_card_number_last4})
        ELSE coalesce(e.payload.lines, [])
    END AS lines,
    list_transform(coalesce(e.payload.payments, []), lambda p, i: {
        'id': p.id, 'type': p.type, 'payment_type_id': p.payment_type_id, 'description': p.description,
        'amount': CASE WHEN needs_amount_detail THEN exact_money(w.payments[i].amount) ELSE p.amount END,
        'tip': CASE WHEN needs_amount_detail THEN exact_money(w.payments[i].tip) ELSE p.tip END,
        'gateway_transaction_id': nullif(p.custom.gateway_transaction_id, '')
    }) AS payments,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.id, '') = '' THEN 'schema_violation: payload.id is missing' END,
        CASE WHEN coalesce(e.payload.status, '') = '' THEN 'schema_violation: payload.status is missing' END,
        CASE WHEN coalesce(e.payload.source_location_id, '') = '' THEN 'schema_violation: payload.source_location_id is missing' END,
        retail_timestamp_problem('payload.created_at', e.payload.created_at, true),
        retail_timestamp_problem('payload.completed_at', e.payload.completed_at, false),
        retail_timestamp_problem('payload.updated_at', e.payload.updated_at, true),
        CASE WHEN len(coalesce(e.payload.lines, [])) = 0 THEN 'schema_violation: payload.lines is missing or empty' END,
        CASE WHEN e.payload.payments IS NULL THEN 'schema_violation: payload.payments is missing' END,
        CASE WHEN list_bool_or(list_transform(coalesce(e.payload.lines, []), lambda l: coalesce(l.type, '') NOT IN ('ItemLine', 'GiftCardLine')))
             THEN 'schema_violation: a line type is missing or not ItemLine or GiftCardLine' END
    ] || CASE WHEN needs_amount_detail THEN money_problems(money_fields) || quantity_problems(quantity_fields) ELSE [] END,
    lambda p: p IS NOT NULL) END AS problems
FROM amounts;
