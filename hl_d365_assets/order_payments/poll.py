"""The poll fallback: ask GP for the payments of every open request, so a lost notification is
caught.

GP delivers an order's payment to the link's ``status_url`` once or a few times; a receiver that
was down, a proxy that dropped the request or a browser that never returned leaves the order
waiting forever. So for each open request (``sql/ops/list_open_payment_requests.sql``) the poll
reads ``GET /transactions?reference=<order number>`` (shared/reference/gp-api-orders-customers.md
§2: "use status_url and/or poll") and lands every transaction found through the one landing writer
as ``heartland/payment_notifications``, event type ``payment.polled``. A state the notification
already landed has the same event id (``notifications.py``), so the raw layer counts it as a
duplicate; a state it missed is loaded, and the order moves on as if notified.

A row GP answers that is not a usable transaction is landed flagged, for the raw layer to
quarantine with the reason (never dropped).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from hl_d365_assets.heartland.events import EventShapeError, StoreZones
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope, utc_now_iso
from hl_d365_assets.order_payments.notifications import ENTITY, POLLED, SOURCE, payment_event
from hl_d365_assets.warehouse import sql_file

PRODUCER = "payment-poll"


@dataclass(frozen=True)
class OpenOrder:
    legal_entity: str | None
    sales_order_number: str
    since: datetime
    """When its first open request was sent (or recorded): the poll asks GP from the day before."""


@dataclass
class PollReport:
    orders: int = 0
    transactions_found: int = 0
    landed: Counter[str] = field(default_factory=Counter)
    """business date -> transaction states landed."""
    flagged: int = 0
    segments: list[str] = field(default_factory=list)


def open_orders(conn: duckdb.DuckDBPyConnection) -> list[OpenOrder]:
    return [
        OpenOrder(*row)
        for row in conn.execute(sql_file("ops/list_open_payment_requests.sql")).fetchall()
    ]


def poll_orders(
    api, zone: LandingZone, orders: Sequence[OpenOrder], zones: StoreZones, today: date
) -> PollReport:
    """Read each open order's transactions from GP and land them. ``api`` is an open
    :class:`hl_d365_assets.heartland.client.HeartlandApi`; ``today`` bounds the search (UTC date,
    a day of margin on each side since GP filters by UTC date)."""
    report = PollReport(orders=len(orders))
    received_at = utc_now_iso()
    by_day: dict[str, list[str]] = defaultdict(list)
    for order in orders:
        first = order.since.date() - timedelta(days=1)
        pages = api.iter_transactions_by_reference(
            order.sales_order_number, first, today + timedelta(days=1)
        )
        for page in pages:
            for resource in page.rows:
                report.transactions_found += 1
                day, line = _landing_line(resource, zones, received_at, today)
                if line.flagged:
                    report.flagged += 1
                by_day[day].append(line.text)
    with LandingWriter(zone, producer=PRODUCER, max_segment_age_seconds=float("inf")) as writer:
        for day, lines in sorted(by_day.items()):
            writer.append_lines(SOURCE, ENTITY, day, lines)
            report.landed[day] += len(lines)
        report.segments = [path.name for path in writer.close()]
    return report


@dataclass(frozen=True)
class _Line:
    text: str
    flagged: bool


def _landing_line(
    resource: object, zones: StoreZones, received_at: str, today: date
) -> tuple[str, _Line]:
    try:
        event = payment_event(resource, POLLED)
        day = zones.business_day(event).isoformat()
    # An absurd time overflows the calendar while its day is computed: unidentifiable, so
    # quarantined like a row with no usable time, never a crashed poll.
    except (EventShapeError, ValueError, OverflowError) as problem:
        resource_id = resource.get("id") if isinstance(resource, dict) else None
        text = envelope(
            event_id=f"NTF_UNIDENTIFIED_{resource_id or 'NO_ID'}",
            event_type=POLLED,
            payload=resource if isinstance(resource, dict) else {"value": resource},
            received_at=received_at,
            receiver_problem=f"schema_violation: row of the payment poll: {problem}",
        )
        return today.isoformat(), _Line(text, True)
    return day, _Line(envelope(event.event_id, event.event_type, event.payload, received_at), False)
