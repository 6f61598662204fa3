-- Parse each screened line against the Heartland Retail ticket shape (docs/heartland_retail.md)
-- and list what breaks the raw schema as '<reason_code>: <detail>'. Money arrives as JSON numbers
-- in major units: it is read as DECIMAL(38, 10) straight from the number's digits (never through
-- a binary float), and a second read as text tells an absent amount from one that is not a number.
-- An amount with more than two decimals or that is not a number quarantines the ticket, naming
-- the field (never the value: a ticket carries the customer's name). Ids are kept as text.
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
                "subtotal": "DECIMAL(38,10)", "tax_total": "DECIMAL(38,10)", "total": "DECIMAL(38,10)",
                "total_paid": "DECIMAL(38,10)", "balance": "DECIMAL(38,10)",
                "custom": {"note": "VARCHAR"},
                "lines": [{"id": "VARCHAR", "type": "VARCHAR", "item_id": "VARCHAR", "item_public_id": "VARCHAR",
                           "description": "VARCHAR", "qty": "DECIMAL(38,10)",
                           "original_unit_price": "DECIMAL(38,10)", "unit_price": "DECIMAL(38,10)",
                           "adjusted_unit_price": "DECIMAL(38,10)", "value": "DECIMAL(38,10)",
                           "unit_cost": "DECIMAL(38,10)", "gift_card_number_last4": "VARCHAR"}],
                "payments": [{"id": "VARCHAR", "type": "VARCHAR", "payment_type_id": "VARCHAR",
                              "description": "VARCHAR", "amount": "DECIMAL(38,10)", "tip": "DECIMAL(38,10)",
                              "custom": {"gateway_transaction_id": "VARCHAR"}}]
            }
        }') END AS e,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{"payload": {
            "subtotal": "VARCHAR", "tax_total": "VARCHAR", "total": "VARCHAR", "total_paid": "VARCHAR",
            "balance": "VARCHAR",
            "lines": [{"qty": "VARCHAR", "original_unit_price": "VARCHAR", "unit_price": "VARCHAR",
                       "adjusted_unit_price": "VARCHAR", "value": "VARCHAR", "unit_cost": "VARCHAR"}],
            "payments": [{"amount": "VARCHAR", "tip": "VARCHAR"}]
        }}').payload END AS t
    FROM screened_lines
),
amounts AS (
    SELECT
        *,
        [{'field': 'payload.subtotal', 'amount': e.payload.subtotal, 'text': t.subtotal, 'required': false},
         {'field': 'payload.tax_total', 'amount': e.payload.tax_total, 'text': t.tax_total, 'required': true},
         {'field': 'payload.total', 'amount': e.payload.total, 'text': t.total, 'required': true},
         {'field': 'payload.total_paid', 'amount': e.payload.total_paid, 'text': t.total_paid, 'required': false},
         {'field': 'payload.balance', 'amount': e.payload.balance, 'text': t.balance, 'required': false}]
        || flatten(list_transform(coalesce(e.payload.lines, []), lambda l, i: [
            {'field': 'payload.lines[' || i || '].original_unit_price', 'amount': l.original_unit_price,
             'text': t.lines[i].original_unit_price, 'required': false},
            {'field': 'payload.lines[' || i || '].unit_price', 'amount': l.unit_price,
             'text': t.lines[i].unit_price, 'required': false},
            {'field': 'payload.lines[' || i || '].adjusted_unit_price', 'amount': l.adjusted_unit_price,
             'text': t.lines[i].adjusted_unit_price, 'required': false},
            {'field': 'payload.lines[' || i || '].value', 'amount': l.value, 'text': t.lines[i].value, 'required': true},
            {'field': 'payload.lines[' || i || '].unit_cost', 'amount': l.unit_cost,
             'text': t.lines[i].unit_cost, 'required': false}]))
        || flatten(list_transform(coalesce(e.payload.payments, []), lambda p, i: [
            {'field': 'payload.payments[' || i || '].amount', 'amount': p.amount,
             'text': t.payments[i].amount, 'required': true},
            {'field': 'payload.payments[' || i || '].tip', 'amount': p.tip,
             'text': t.payments[i].tip, 'required': false}])) AS money_fields,
        list_transform(coalesce(e.payload.lines, []), lambda l, i:
            {'field': 'payload.lines[' || i || '].qty', 'amount': l.qty, 'text': t.lines[i].qty, 'required': true})
            AS quantity_fields
    FROM decoded
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
    exact_money(e.payload.subtotal) AS subtotal,
    exact_money(e.payload.tax_total) AS tax_total,
    exact_money(e.payload.total) AS total,
    exact_money(e.payload.total_paid) AS total_paid,
    exact_money(e.payload.balance) AS balance,
    e.payload.custom.note AS note,
    list_transform(coalesce(e.payload.lines, []), lambda l: {
        'id': l.id, 'type': l.type, 'item_id': l.item_id, 'item_public_id': l.item_public_id,
        'description': l.description, 'qty': exact_quantity(l.qty),
        'original_unit_price': exact_money(l.original_unit_price), 'unit_price': exact_money(l.unit_price),
        'adjusted_unit_price': exact_money(l.adjusted_unit_price), 'value': exact_money(l.value),
        'unit_cost': exact_money(l.unit_cost), 'gift_card_number_last4': l.gift_card_number_last4
    }) AS lines,
    list_transform(coalesce(e.payload.payments, []), lambda p: {
        'id': p.id, 'type': p.type, 'payment_type_id': p.payment_type_id, 'description': p.description,
        'amount': exact_money(p.amount), 'tip': exact_money(p.tip),
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
    ] || money_problems(money_fields) || quantity_problems(quantity_fields), lambda p: p IS NOT NULL) END AS problems
FROM amounts;
