-- Parse each screened line against the Heartland Retail item shape; money read exactly as for
-- tickets (parse_retail_tickets.sql), problems name the field, never its value.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"id": "VARCHAR", "public_id": "VARCHAR", "description": "VARCHAR",
                        "long_description": "VARCHAR", "cost": "DECIMAL(38,10)",
                        "original_price": "DECIMAL(38,10)", "price": "DECIMAL(38,10)", "active": "BOOLEAN",
                        "primary_vendor_id": "VARCHAR", "grid_id": "VARCHAR",
                        "custom": {"upc": "VARCHAR", "size": "VARCHAR", "color": "VARCHAR"},
                        "created_at": "VARCHAR", "updated_at": "VARCHAR"}
        }') END AS e,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{"payload": {
            "cost": "VARCHAR", "original_price": "VARCHAR", "price": "VARCHAR"}}').payload END AS t
    FROM screened_lines
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.id AS item_id, e.payload.public_id, e.payload.description, e.payload.long_description,
    exact_money(e.payload.cost) AS cost, exact_money(e.payload.original_price) AS original_price,
    exact_money(e.payload.price) AS price, e.payload.active, e.payload.primary_vendor_id,
    nullif(e.payload.grid_id, '') AS grid_id,
    e.payload.custom.upc, e.payload.custom.size, e.payload.custom.color,
    TRY_CAST(e.payload.created_at AS TIMESTAMPTZ) AS created_at,
    TRY_CAST(e.payload.updated_at AS TIMESTAMPTZ) AS updated_at,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.id, '') = '' THEN 'schema_violation: payload.id is missing' END,
        CASE WHEN coalesce(e.payload.public_id, '') = '' THEN 'schema_violation: payload.public_id is missing' END,
        retail_timestamp_problem('payload.created_at', e.payload.created_at, false),
        retail_timestamp_problem('payload.updated_at', e.payload.updated_at, true)
    ] || money_problems([
        {'field': 'payload.cost', 'amount': e.payload.cost, 'text': t.cost, 'required': false},
        {'field': 'payload.original_price', 'amount': e.payload.original_price, 'text': t.original_price, 'required': false},
        {'field': 'payload.price', 'amount': e.payload.price, 'text': t.price, 'required': false}
    ]), lambda p: p IS NOT NULL) END AS problems
FROM decoded;
