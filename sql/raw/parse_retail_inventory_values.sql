-- Parse each screened line against the Heartland Retail stock shape (inventory/values grouped by
-- item and location: no id of its own). Quantities and cost read exactly, as for tickets.
CREATE OR REPLACE TEMP VIEW parsed_events AS
WITH decoded AS (
    SELECT
        segment_path, business_date, line_number, line, screen_problem,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "received_at": "VARCHAR", "receiver_problem": "VARCHAR",
            "payload": {"item_id": "VARCHAR", "location_id": "VARCHAR", "qty_on_hand": "DECIMAL(38,10)",
                        "qty_available": "DECIMAL(38,10)", "qty_committed": "DECIMAL(38,10)",
                        "unit_cost": "DECIMAL(38,10)"}
        }') END AS e,
        CASE WHEN screen_problem IS NULL THEN from_json(line, '{"payload": {"qty_on_hand": "VARCHAR",
            "qty_available": "VARCHAR", "qty_committed": "VARCHAR", "unit_cost": "VARCHAR"}}').payload END AS t
    FROM screened_lines
)
SELECT
    business_date, segment_path, line_number, line,
    e.event_id, e.event_type, TRY_CAST(e.received_at AS TIMESTAMPTZ) AS received_at,
    e.payload.item_id, e.payload.location_id,
    exact_quantity(e.payload.qty_on_hand) AS qty_on_hand,
    exact_quantity(e.payload.qty_available) AS qty_available,
    exact_quantity(e.payload.qty_committed) AS qty_committed,
    exact_money(e.payload.unit_cost) AS unit_cost,
    CASE WHEN screen_problem IS NOT NULL THEN [screen_problem] ELSE list_filter(envelope_problems(e.event_id, e.received_at, e.receiver_problem) || [
        CASE WHEN coalesce(e.payload.item_id, '') = '' THEN 'schema_violation: payload.item_id is missing' END,
        CASE WHEN coalesce(e.payload.location_id, '') = '' THEN 'schema_violation: payload.location_id is missing' END
    ] || quantity_problems([
        {'field': 'payload.qty_on_hand', 'amount': e.payload.qty_on_hand, 'text': t.qty_on_hand, 'required': true},
        {'field': 'payload.qty_available', 'amount': e.payload.qty_available, 'text': t.qty_available, 'required': false},
        {'field': 'payload.qty_committed', 'amount': e.payload.qty_committed, 'text': t.qty_committed, 'required': false}
    ]) || money_problems([
        {'field': 'payload.unit_cost', 'amount': e.payload.unit_cost, 'text': t.unit_cost, 'required': false}
    ]), lambda p: p IS NOT NULL) END AS problems
FROM decoded;
