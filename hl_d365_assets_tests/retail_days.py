"""Small Heartland Retail days written as landed NDJSON, the way the pull lands them
(docs/heartland_retail.md, "Landing"), for the raw and canonical tests.

Money is written as JSON numbers with exactly the digits given (``num("72.95")``,
``num("1e-2")``): the tests are about what the warehouse makes of the API's own number text, so it
must never pass through a Python float on the way in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from hl_d365_assets.landing import LandingWriter, LandingZone

SOURCE = "heartland_retail"
_MARK = "@@num@@"
_MARKED = re.compile(r'"' + _MARK + r'([^"@]+)@@"')
SINGULAR = {
    "tickets": "ticket",
    "items": "item",
    "customers": "customer",
    "locations": "location",
    "payment_types": "payment_type",
    "inventory_values": "inventory_value",
}


class num(str):
    """A JSON number written with exactly these characters."""


def _mark(value):
    if isinstance(value, num):
        return f"{_MARK}{value}@@"
    if isinstance(value, Decimal):
        return f"{_MARK}{value}@@"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v) for v in value]
    return value


def event_id(entity: str, record: dict) -> str:
    if entity == "inventory_values":
        return f"HR_inventory_values_{record['item_id']}_{record['location_id']}"
    digits = re.sub(r"\D", "", str(record.get("updated_at", "")))
    return f"HR_{entity}_{record['id']}_{digits}"


def envelope_line(
    entity: str, record: dict, *, event: str | None = None, received_at: str | None = None
) -> str:
    line = {
        "event_id": event or event_id(entity, record),
        "event_type": f"heartland_retail.{SINGULAR[entity]}",
        "received_at": received_at or "2026-11-21T06:00:00.000Z",
        "payload": record,
    }
    text = json.dumps(_mark(line), separators=(",", ":"), ensure_ascii=False)
    return _MARKED.sub(r"\1", text)


def land(zone: LandingZone, entity: str, day: date, lines: Iterable[str]) -> None:
    """One committed segment of ``lines`` (pre-serialised envelopes or raw text)."""
    with LandingWriter(zone, "retail-test") as writer:
        writer.append_lines(SOURCE, entity, day, list(lines))


def land_records(zone: LandingZone, entity: str, day: date, records: Iterable[dict]) -> None:
    land(zone, entity, day, [envelope_line(entity, r) for r in records])


def item_line(
    line_id: int,
    item_id: int,
    sku: str,
    qty: str,
    price: str,
    *,
    adjusted: str | None = None,
    unit_cost: str | None = "1.00",
) -> dict:
    adjusted_price = Decimal(adjusted or price)
    return {
        "id": line_id,
        "type": "ItemLine",
        "item_id": item_id,
        "item_public_id": sku,
        "description": f"item {sku}",
        "qty": num(qty),
        "original_unit_price": num(price),
        "unit_price": num(adjusted or price),
        "adjusted_unit_price": num(adjusted or price),
        "value": num(str(Decimal(qty) * adjusted_price)),
        **({"unit_cost": num(unit_cost)} if unit_cost is not None else {}),
    }


def gift_card_line(line_id: int, amount: str) -> dict:
    return {
        "id": line_id,
        "type": "GiftCardLine",
        "description": "Gift card",
        "qty": num("1"),
        "unit_price": num(amount),
        "adjusted_unit_price": num(amount),
        "value": num(amount),
        "gift_card_number_last4": "0042",
    }


def payment(
    payment_id: int, payment_type_id: int, amount: str, gateway_transaction_id: str | None = None
) -> dict:
    return {
        "id": payment_id,
        "type": "Payments::CreditCardPayment" if gateway_transaction_id else "Payments::Payment",
        "payment_type_id": payment_type_id,
        "description": "payment",
        "amount": num(amount),
        "custom": {"gateway_transaction_id": gateway_transaction_id}
        if gateway_transaction_id
        else {},
    }


def ticket(
    ticket_id: int,
    lines: list[dict],
    payments: list[dict] | None = None,
    *,
    tax_total: str = "0",
    total: str | None = None,
    location_id: int = 1,
    station_id: int = 11,
    status: str = "complete",
    completed_at: str = "2026-11-20T14:03:11.000-05:00",
    updated_at: str = "2026-11-20T14:03:12.000-05:00",
    note: str = "",
) -> dict:
    """A ticket; total defaults to the lines' value plus tax, payments to one cash payment of it."""
    if total is None:
        total = str(sum((Decimal(str(line["value"])) for line in lines), Decimal(tax_total)))
    return {
        "id": ticket_id,
        "public_id": str(ticket_id),
        "status": status,
        "station_id": station_id,
        "source_location_id": location_id,
        "customer_id": 5012,
        "customer_name": "Ada Lovelace",
        "sales_rep": "C017",
        "created_at": "2026-11-20T14:00:00.000-05:00",
        "completed_at": completed_at,
        "updated_at": updated_at,
        "subtotal": num(str(sum(Decimal(str(line["value"])) for line in lines))),
        "tax_total": num(tax_total),
        "total": num(total),
        "total_paid": num(total),
        "balance": num("0"),
        "custom": {"note": note},
        "lines": lines,
        "payments": payments if payments is not None else [payment(ticket_id * 10, 1, total)],
    }


LOCATIONS = [
    {
        "id": 1,
        "public_id": "S001",
        "name": "Manhattan Flagship",
        "active": True,
        "stations": [{"id": 11, "location_id": 1, "name": "R01", "active": True}],
        "updated_at": "2026-01-01T00:00:00.000Z",
    },
    {
        "id": 9,
        "public_id": "S999",
        "name": "Pop-up",
        "active": True,
        "stations": [{"id": 91, "location_id": 9, "name": "R01", "active": True}],
        "updated_at": "2026-01-01T00:00:00.000Z",
    },
]
PAYMENT_TYPES = [
    {"id": 1, "name": "Cash", "active": True, "updated_at": "2026-01-01T00:00:00.000Z"},
    {"id": 3, "name": "Visa", "active": True, "updated_at": "2026-01-01T00:00:00.000Z"},
    {"id": 4, "name": "Gift Card", "active": True, "updated_at": "2026-01-01T00:00:00.000Z"},
    {"id": 7, "name": "Bitcoin", "active": True, "updated_at": "2026-01-01T00:00:00.000Z"},
]


def item(item_id: int, sku: str, price: str = "10.00", cost: str = "4.10") -> dict:
    return {
        "id": item_id,
        "public_id": sku,
        "description": f"item {sku}",
        "long_description": "",
        "cost": num(cost),
        "original_price": num(price),
        "price": num(price),
        "active": True,
        "primary_vendor_id": 3,
        "grid_id": None,
        "custom": {"upc": "000000000000", "size": "M", "color": "red"},
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-02T00:00:00.000Z",
    }


def land_reference_data(zone: LandingZone, day: date, items: list[dict]) -> None:
    """The day's snapshot of locations, payment types and items."""
    land_records(zone, "locations", day, LOCATIONS)
    land_records(zone, "payment_types", day, PAYMENT_TYPES)
    land_records(zone, "items", day, items)


def land_late_copy_of_a_cash_ticket(
    zone: LandingZone, day: date, store_id: str | None = None
) -> list[str]:
    """A cash sale the Retail pull brings a day late, as a new ticket with its own ids: a copy of
    a complete cash-only sale landed under ``day`` (of ``store_id``'s location when given).
    Returns the canonical ids it makes: the ticket's and its tenders' (``<ticket>-P<payment>``)."""

    def landed(entity: str, any_day: bool = False) -> list[dict]:
        """Envelopes of the entity under ``day`` (reference data: under any day, since it lands
        as a snapshot of the pull's day)."""
        segments = (
            sorted((zone.root / SOURCE / entity).glob("business_date=*/*.ndjson"))
            if any_day
            else zone.segments(SOURCE, entity, day)
        )
        return [
            json.loads(line, parse_float=Decimal)
            for segment in segments
            for line in segment.read_text().splitlines()
            if line.startswith("{") and line.endswith("}")
        ]

    cash = {
        t["payload"]["id"]
        for t in landed("payment_types", any_day=True)
        if t["payload"]["name"] == "Cash"
    }
    locations = {
        loc["payload"]["id"]
        for loc in landed("locations", any_day=True)
        if store_id is None or loc["payload"]["public_id"] == store_id
    }
    envelope = next(
        envelope
        for envelope in landed("tickets")
        if envelope["payload"]["status"] == "complete"
        and envelope["payload"]["total"] > 0
        and envelope["payload"]["source_location_id"] in locations
        and all(p["payment_type_id"] in cash for p in envelope["payload"]["payments"])
    )
    original = envelope["payload"]
    late_id = original["id"] * 10 + 9
    copy = {
        **original,
        "id": late_id,
        "public_id": f"{original['public_id']}L",
        "payments": [{**p, "id": p["id"] * 10 + 9} for p in original["payments"]],
    }
    land(
        zone, "tickets", day, [envelope_line("tickets", copy, received_at=envelope["received_at"])]
    )
    return [str(late_id), *(f"{late_id}-P{p['id']}" for p in copy["payments"])]
