"""Heartland Retail lines into the raw layer: lineage, duplicates counted, later versions kept as
new rows, bad records quarantined with a reason that names the field (never the value), every
string scanned for card numbers, and money exact from the API's JSON numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.raw_loader import RETAIL_SOURCE, load_entity
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets_tests.retail_days import (
    envelope_line,
    item,
    item_line,
    land,
    land_records,
    land_reference_data,
    num,
    payment,
    ticket,
)

DAY = date(2026, 11, 20)
PAN = "4111 1111 1111 1111"


@pytest.fixture
def conn(settings: Settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(connection)
    yield connection
    connection.close()


def _load(conn, zone: LandingZone, entity: str):
    [day] = load_entity(
        conn, entity, zone.segments(RETAIL_SOURCE, entity, DAY), [DAY], source=RETAIL_SOURCE
    )
    assert day.landed == day.loaded + day.duplicates + day.quarantined
    return day


def _quarantine(conn, entity: str) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        "SELECT event_id, reason_code, reason_detail FROM ops.quarantine "
        "WHERE source = 'heartland_retail' AND entity = $e",
        {"e": entity},
    ).fetchall()
    return {event: (code, detail) for event, code, detail in rows}


def test_a_ticket_loads_with_lineage_and_typed_nested_lines_and_payments(conn, zone) -> None:
    land_records(
        zone,
        "tickets",
        DAY,
        [
            ticket(
                40000123,
                [item_line(1, 2001, "SKU-00017", "2", "12.00", adjusted="10.00", unit_cost="4.10")],
                [payment(77, 3, "21.78", "TRN_abc")],
                tax_total="1.78",
                note="gift receipt printed",
            )
        ],
    )
    day = _load(conn, zone, "tickets")
    assert (day.loaded, day.duplicates, day.quarantined) == (1, 0, 0)
    [row] = conn.execute(
        "SELECT business_date, line_number, event_id, ticket_id, source_location_id, total, "
        "tax_total, note, lines[1].qty, lines[1].value, lines[1].original_unit_price, "
        "payments[1].amount, payments[1].gateway_transaction_id, typeof(total), "
        "typeof(lines[1].qty) FROM raw.retail_tickets"
    ).fetchall()
    assert row == (
        DAY,
        1,
        "HR_tickets_40000123_202611201403120000500",
        "40000123",
        "1",
        Decimal("21.78"),
        Decimal("1.78"),
        "gift receipt printed",
        Decimal("2"),
        Decimal("20.00"),
        Decimal("12.00"),
        Decimal("21.78"),
        "TRN_abc",
        "DECIMAL(18,2)",
        "DECIMAL(18,4)",
    )


def test_the_same_version_twice_is_a_duplicate_and_a_later_version_a_new_row(conn, zone) -> None:
    first = ticket(1, [item_line(1, 2001, "SKU-1", "1", "5.00")])
    edited = ticket(
        1, [item_line(1, 2001, "SKU-1", "2", "5.00")], updated_at="2026-11-20T18:00:00.000-05:00"
    )
    land_records(zone, "tickets", DAY, [first, first, edited])
    day = _load(conn, zone, "tickets")
    assert (day.loaded, day.duplicates, day.quarantined) == (2, 1, 0)
    assert conn.execute(
        "SELECT count(*) FROM ops.duplicate_events WHERE source = 'heartland_retail'"
    ).fetchall() == [(1,)]
    assert conn.execute("SELECT total FROM raw.retail_tickets ORDER BY updated_at").fetchall() == [
        (Decimal("5.00"),),
        (Decimal("10.00"),),
    ]


@pytest.mark.parametrize(
    ("amount", "reason", "detail"),
    [
        (
            num("72.955"),
            "excess_precision",
            "payload.payments[1].amount has more than two decimals",
        ),
        ("seventy", "invalid_amount", "payload.payments[1].amount is not a number"),
        (None, "schema_violation", "payload.payments[1].amount is missing"),
    ],
)
def test_a_bad_amount_quarantines_the_ticket_naming_the_field_not_the_value(
    conn, zone, amount, reason, detail
) -> None:
    bad = ticket(2, [item_line(1, 2001, "SKU-1", "1", "72.95")])
    bad["payments"][0]["amount"] = amount
    land_records(zone, "tickets", DAY, [bad, ticket(3, [item_line(1, 2001, "SKU-1", "1", "1")])])
    day = _load(conn, zone, "tickets")
    assert (day.loaded, day.quarantined) == (1, 1)
    [(code, text)] = _quarantine(conn, "tickets").values()
    assert (code, text) == (reason, f"{reason}: {detail}")


def test_a_line_amount_with_three_decimals_is_named_by_its_position(conn, zone) -> None:
    bad = ticket(
        4, [item_line(1, 2001, "SKU-1", "1", "1.00"), item_line(2, 2002, "SKU-2", "1", "2")]
    )
    bad["lines"][1]["unit_cost"] = num("0.125")
    land_records(zone, "tickets", DAY, [bad])
    _load(conn, zone, "tickets")
    [(_, text)] = _quarantine(conn, "tickets").values()
    assert text == "excess_precision: payload.lines[2].unit_cost has more than two decimals"


def test_an_amount_sent_as_a_plain_decimal_string_is_accepted(conn, zone) -> None:
    record = ticket(5, [item_line(1, 2001, "SKU-1", "1", "72.95")])
    record["payments"][0]["amount"] = "72.95"
    land_records(zone, "tickets", DAY, [record])
    assert _load(conn, zone, "tickets").loaded == 1
    assert conn.execute("SELECT payments[1].amount FROM raw.retail_tickets").fetchall() == [
        (Decimal("72.95"),)
    ]


def test_a_card_number_in_a_ticket_note_or_a_customer_email_quarantines_the_line_masked(
    conn, zone
) -> None:
    land_records(zone, "tickets", DAY, [ticket(6, [item_line(1, 1, "A", "1", "1")], note=PAN)])
    customer = {
        "id": 5012,
        "public_id": "C5012",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "4111111111111111@example.com",
        "active": True,
        "updated_at": "2026-11-20T00:00:00.000Z",
        "addresses": [],
    }
    land_records(zone, "customers", DAY, [customer])
    assert _load(conn, zone, "tickets").quarantined == 1
    assert _load(conn, zone, "customers").quarantined == 1
    stored = conn.execute(
        "SELECT reason_code, reason_detail || masked_payload FROM ops.quarantine"
    ).fetchall()
    assert {code for code, _ in stored} == {"card_number_detected"}
    assert all("4111111111111111" not in text and PAN not in text for _, text in stored)
    assert conn.execute("SELECT count(*) FROM raw.retail_customers").fetchall() == [(0,)]


def test_customer_problems_never_quote_personal_data(conn, zone) -> None:
    land_records(
        zone,
        "customers",
        DAY,
        [
            {
                "id": 7,
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "grace@example.com",
                "updated_at": "last tuesday at Grace's",
                "addresses": [{"id": 1, "city": "Arlington", "phone": "555-0100"}],
            }
        ],
    )
    assert _load(conn, zone, "customers").quarantined == 1
    [(_, text)] = _quarantine(conn, "customers").values()
    assert text == "invalid_timestamp: payload.updated_at is not an ISO-8601 timestamp"


def test_every_reference_entity_loads(conn, zone) -> None:
    land_reference_data(zone, DAY, [item(2001, "SKU-1")])
    land_records(
        zone,
        "inventory_values",
        DAY,
        [
            {
                "item_id": 2001,
                "location_id": 1,
                "qty_on_hand": num("12.5"),
                "qty_available": num("10"),
                "qty_committed": num("2.5"),
                "unit_cost": num("4.10"),
            }
        ],
    )
    for entity in ("locations", "payment_types", "items", "inventory_values"):
        assert _load(conn, zone, entity).quarantined == 0, entity
    assert conn.execute(
        "SELECT public_id, stations[1].name FROM raw.retail_locations ORDER BY location_id"
    ).fetchall() == [("S001", "R01"), ("S999", "R01")]
    assert conn.execute("SELECT public_id, cost FROM raw.retail_items").fetchall() == [
        ("SKU-1", Decimal("4.10"))
    ]
    assert conn.execute("SELECT qty_on_hand FROM raw.retail_inventory_values").fetchall() == [
        (Decimal("12.5"),)
    ]


def test_a_malformed_line_is_quarantined_and_counted(conn, zone) -> None:
    land(
        zone,
        "items",
        DAY,
        ['{"event_id": "HR_items_1_2", "payload": {', envelope_line("items", item(3, "S"))],
    )
    day = _load(conn, zone, "items")
    assert (day.landed, day.loaded, day.quarantined) == (2, 1, 1)
