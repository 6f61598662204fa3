"""The Heartland Retail pull against the simulator: every ticket version lands exactly once,
whatever fails half-way, under its location's business day; snapshots land once per pull.

The simulator runs in process (its httpx transport) except in the one Dagster test of the
cursor kept in Dagster, which runs the real job against the loopback server.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland_retail import pull as retail
from hl_d365_assets.heartland_retail.client import HeartlandRetailClient
from hl_d365_assets.heartland_retail.errors import HeartlandRetailApiError
from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
from hl_d365_assets.http import exact_json
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.credentials import SANDBOX_RETAIL_TOKEN
from hl_d365_assets.sandbox.heartland_retail_simulator import HeartlandRetailSimulator, serve
from hl_d365_assets.settings import PROJECT_ROOT, Settings

SNAPSHOT_DAY = date(2026, 11, 21)
TICKETS_PATH = "/api/sales/tickets"
PAGE = 10
LOCATIONS = {1: "S001", 2: "S002", 3: "S009"}
"""Location id -> Location # (store_id): New York, Chicago, and Los Angeles (added below)."""
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


# -- a small store, written in the simulator's format: <dir>/<resource>.ndjson ---------------


def stamp(minutes: int) -> str:
    """A UTC time on 2026-11-20 (New York's 10:00 plus ``minutes``)."""
    moment = datetime.fromisoformat("2026-11-20T15:00:00+00:00") + timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ticket(ticket_id: int, location_id: int = 1, *, minute: int | None = None, **fields) -> dict:
    minute = ticket_id - 1000 if minute is None else minute
    total = Decimal("72.95")
    return {
        "id": ticket_id,
        "public_id": str(ticket_id),
        "status": "complete",
        "station_id": location_id * 10 + 1,
        "source_location_id": location_id,
        "customer_id": None,
        "created_at": stamp(minute),
        "completed_at": stamp(minute),
        "updated_at": stamp(minute),
        "subtotal": Decimal("67.50"),
        "tax_total": Decimal("5.45"),
        "total": total,
        "total_paid": total,
        "balance": 0,
        "lines": [{"id": 1, "type": "ItemLine", "item_id": 2001, "qty": 1, "value": total}],
        "payments": [{"id": 1, "payment_type_id": 3, "amount": total}],
        **fields,
    }


def write_store(directory: Path, tickets: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    updated = stamp(-600)
    documents = {
        "locations": [
            {
                "id": location_id,
                "public_id": store_id,
                "name": f"Store {store_id}",
                "active": True,
                "stations": [{"id": location_id * 10 + 1, "location_id": location_id}],
                "updated_at": updated,
            }
            for location_id, store_id in LOCATIONS.items()
        ],
        "payment_types": [
            {"id": n, "name": name, "active": True, "updated_at": updated}
            for n, name in enumerate(("Cash", "Visa", "Gift Card"), start=1)
        ],
        "item_grids": [{"id": 1, "name": "Tee", "dimensions": ["Size"], "updated_at": updated}],
        "items": [
            {
                "id": 2000 + n,
                "public_id": f"SKU-{n:05d}",
                "description": f"Item {n}",
                "cost": Decimal("4.10"),
                "price": Decimal("10.00"),
                "grid_id": 1 if n <= 3 else None,
                "updated_at": updated,
            }
            for n in range(1, 13)
        ],
        "customers": [
            {
                "id": 5000 + n,
                "public_id": f"C{n}",
                "first_name": "Ada",
                "last_name": f"Customer{n}",
                "addresses": [{"id": n, "customer_id": 5000 + n, "city": "Albany"}],
                "updated_at": updated,
            }
            for n in range(1, 6)
        ],
        "inventory_values": [
            {
                "item_id": 2000 + n,
                "location_id": location_id,
                "qty_on_hand": n,
                "qty_available": n,
                "unit_cost": Decimal("4.10"),
            }
            for n in range(1, 5)
            for location_id in LOCATIONS
        ],
        "tickets": tickets,
    }
    for resource, rows in documents.items():
        (directory / f"{resource}.ndjson").write_text(
            "".join(exact_json.dumps(row) + "\n" for row in rows)
        )
    return directory


def fifty_tickets() -> list[dict]:
    return [ticket(1000 + n, location_id=1 + n % 2) for n in range(1, 51)]


@pytest.fixture
def zones(tmp_path: Path) -> StoreZones:
    """The shipped stores plus S009 in Los Angeles."""
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    with (PROJECT_ROOT / "mappings" / "stores.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows.append({**rows[0], "store_id": "S009", "timezone": "America/Los_Angeles"})
    with (mappings / "stores.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return StoreZones.from_mappings(mappings, "America/New_York")


@pytest.fixture
def sim(tmp_path: Path) -> HeartlandRetailSimulator:
    return HeartlandRetailSimulator(write_store(tmp_path / "store", fifty_tickets()))


def client(**options) -> HeartlandRetailClient:
    defaults = {"base_url": "http://retail.sim/api", "page_size": PAGE, "backoff_base_seconds": 0}
    return HeartlandRetailClient(
        subdomain="sandbox", token=SANDBOX_RETAIL_TOKEN, **(defaults | options)
    )


def run_pull(
    sim: HeartlandRetailSimulator,
    zone: LandingZone,
    zones: StoreZones,
    cursor: TicketCursor,
    *,
    entities=retail.ENTITIES,
    waits: list[float] | None = None,
    **options,
) -> retail.RetailPullReport:
    sleep = waits.append if waits is not None else (lambda seconds: None)
    with client(**options).open(sim.transport(), sleep=sleep) as api:
        return retail.pull(
            api, zone, entities=entities, zones=zones, snapshot_day=SNAPSHOT_DAY, cursor=cursor
        )


def landed(zone: LandingZone, entity: str) -> list[dict]:
    base = zone.root / retail.SOURCE / entity
    return [
        {**json.loads(line), "business_date": segment.parent.name.split("=")[1]}
        for segment in sorted(base.rglob("*.ndjson"))
        for line in segment.read_text().splitlines()
    ]


def versions(zone: LandingZone) -> Counter[str]:
    return Counter(line["event_id"] for line in landed(zone, "tickets"))


# -- tests ---------------------------------------------------------------------------------------


def test_a_full_pull_lands_every_entity_once_with_the_digits_the_api_sent(
    sim, zone: LandingZone, zones: StoreZones
) -> None:
    report = run_pull(sim, zone, zones, TicketCursor())
    counts = {entity: len(landed(zone, entity)) for entity in retail.ENTITIES}
    assert counts == {
        "tickets": 50,
        "locations": 3,
        "payment_types": 3,
        "items": 12,
        "customers": 5,
        "inventory_values": 12,
    }
    assert set(versions(zone).values()) == {1}
    first = next(line for line in landed(zone, "tickets") if line["payload"]["id"] == 1001)
    assert first["event_id"] == "HR_tickets_1001_20261120150100000"
    assert first["event_type"] == "heartland_retail.ticket"
    raw_line = (next((zone.root / "heartland_retail" / "tickets").rglob("*.ndjson"))).read_text()
    assert '"total":72.95' in raw_line and '"subtotal":67.50' in raw_line
    customer = landed(zone, "customers")[0]
    assert customer["payload"]["addresses"][0]["city"] == "Albany"
    assert {line["business_date"] for line in landed(zone, "items")} == {"2026-11-21"}
    stock = landed(zone, "inventory_values")[0]
    assert stock["event_id"] == f"HR_inventory_values_{stock['payload']['item_id']}_" + (
        f"{stock['payload']['location_id']}_20261121"
    )
    assert report.cursor == TicketCursor(1050, stamp(50), 1050)
    assert report.pages["tickets"] == 5
    assert report.new_tickets == 50 and report.edited_versions == 0


def test_the_next_pull_lands_only_new_tickets_and_edits_as_new_versions(
    sim, zone: LandingZone, zones: StoreZones
) -> None:
    first = run_pull(sim, zone, zones, TicketCursor(), entities=["tickets"])
    for ticket_id in range(1051, 1056):
        sim.put("tickets", ticket(ticket_id))
    sim.put("tickets", ticket(1007, minute=70, custom={"note": "gift receipt"}))
    second = run_pull(sim, zone, zones, first.cursor, entities=["tickets"])
    assert (second.new_tickets, second.edited_versions) == (5, 1)
    counted = versions(zone)
    assert len(counted) == 56 and set(counted.values()) == {1}
    edited = [line for line in landed(zone, "tickets") if line["payload"]["id"] == 1007]
    assert [line["event_id"] for line in edited] == [
        "HR_tickets_1007_20261120150700000",
        "HR_tickets_1007_20261120161000000",
    ]
    third = run_pull(sim, zone, zones, second.cursor, entities=["tickets"])
    assert (third.new_tickets, third.edited_versions) == (0, 0)
    assert len(landed(zone, "tickets")) == 56


def test_a_429_storm_is_waited_out_as_retry_after_asks(
    sim, zone: LandingZone, zones: StoreZones
) -> None:
    sim.faults.throttle(times=3, retry_after=7, path=TICKETS_PATH)
    waits: list[float] = []
    report = run_pull(sim, zone, zones, TicketCursor(), entities=["tickets"], waits=waits)
    assert report.new_tickets == 50
    assert len(waits) == 3 and all(wait >= 7 for wait in waits)
    assert set(versions(zone).values()) == {1} and len(versions(zone)) == 50


def test_a_page_failing_half_way_fails_the_pull_and_the_next_resumes_without_loss_or_double(
    sim, zone: LandingZone, zones: StoreZones
) -> None:
    sim.put("tickets", ticket(1003, minute=80))  # an edit for the second run's edits pass
    first = run_pull(sim, zone, zones, TicketCursor(), entities=["tickets"])
    for ticket_id in range(1051, 1081):
        sim.put("tickets", ticket(ticket_id))
    sim.put("tickets", ticket(1004, minute=90))
    moved: list[TicketCursor] = []
    # Pages go through until the edits pass and two pages of new tickets have landed; then the
    # server fails every ticket request, beyond the client's attempts.
    sim.faults.slow(0, times=3, path=TICKETS_PATH)
    sim.faults.fail(times=None, status=500, path=TICKETS_PATH)
    with (
        pytest.raises(HeartlandRetailApiError),
        client(max_attempts=2).open(sim.transport(), sleep=lambda seconds: None) as api,
    ):
        retail.pull(
            api,
            zone,
            entities=["tickets"],
            zones=zones,
            snapshot_day=SNAPSHOT_DAY,
            cursor=first.cursor,
            on_chunk=moved.append,
        )
    sim.faults.clear()
    assert moved[-1].last_id == 1070  # two pages of ten new tickets committed
    resumed = run_pull(sim, zone, zones, moved[-1], entities=["tickets"])
    assert resumed.new_tickets == 10
    counted = versions(zone)
    assert set(counted.values()) == {1}
    assert len(counted) == 80 + 1  # every ticket, and the second version of 1004
    assert not list(zone.root.rglob(".*.tmp"))


def test_business_day_is_the_local_date_in_the_tickets_location_zone(
    tmp_path: Path, zone: LandingZone, zones: StoreZones
) -> None:
    late_in_los_angeles = "2026-11-21T07:30:00.000Z"  # 23:30 on Nov 20 in Los Angeles
    sim = HeartlandRetailSimulator(
        write_store(
            tmp_path / "la",
            [
                ticket(1001, 3, completed_at=late_in_los_angeles),
                ticket(1002, 1, completed_at=late_in_los_angeles),  # 02:30 Nov 21 in New York
                ticket(1003, 2, completed_at=None, created_at="2026-11-21T05:59:00.000Z"),
            ],
        )
    )
    run_pull(sim, zone, zones, TicketCursor(), entities=["tickets"])
    days = {line["payload"]["id"]: line["business_date"] for line in landed(zone, "tickets")}
    assert days == {1001: "2026-11-20", 1002: "2026-11-21", 1003: "2026-11-20"}


def test_a_ticket_at_an_unknown_location_lands_flagged_for_quarantine(
    tmp_path: Path, zone: LandingZone, zones: StoreZones
) -> None:
    sim = HeartlandRetailSimulator(
        write_store(tmp_path / "unknown", [ticket(1001, 9), ticket(1002, 1)])
    )
    report = run_pull(sim, zone, zones, TicketCursor(), entities=["tickets"])
    lines = {line["payload"]["id"]: line for line in landed(zone, "tickets")}
    assert lines[1001]["receiver_problem"].startswith("unknown_location: ticket 1001")
    assert lines[1001]["business_date"] == "2026-11-20"  # in the merchant's zone
    assert "receiver_problem" not in lines[1002]
    assert report.flagged["tickets"] == 1 and report.cursor.last_id == 1002


def test_a_ticket_whose_day_no_partition_loads_lands_under_the_pulls_day_flagged(
    tmp_path: Path, zone: LandingZone, zones: StoreZones
) -> None:
    # Each would otherwise sit in a day folder no run reads: landed, yet never loaded or counted.
    sim = HeartlandRetailSimulator(
        write_store(
            tmp_path / "odd",
            [
                ticket(1001, 1, completed_at="1969-07-20T20:17:00.000Z"),
                ticket(1002, 1, completed_at="2999-01-01T00:00:00.000Z"),
                ticket(1003, 1, completed_at="2025-06-01T12:00:00.000Z"),
                ticket(1004, 1),
            ],
        )
    )
    with client().open(sim.transport(), sleep=lambda seconds: None) as api:
        report = retail.pull(
            api,
            zone,
            entities=["tickets"],
            zones=zones,
            snapshot_day=SNAPSHOT_DAY,
            cursor=TicketCursor(),
            first_business_day=date(2026, 1, 1),
        )
    lines = {line["payload"]["id"]: line for line in landed(zone, "tickets")}
    today = datetime.now(ZoneInfo("America/New_York")).date().isoformat()
    for odd in (1001, 1002, 1003):
        assert lines[odd]["business_date"] == today
    assert lines[1001]["receiver_problem"].startswith("absurd_timestamp: payload.completed_at")
    assert lines[1002]["receiver_problem"].startswith("absurd_timestamp: payload.completed_at")
    assert lines[1003]["receiver_problem"].startswith(
        "outside_partitions: business day 2025-06-01 of payload.completed_at is before"
    )
    assert "receiver_problem" not in lines[1004] and lines[1004]["business_date"] == "2026-11-20"
    assert report.flagged["tickets"] == 3


# -- the cursor kept in Dagster ------------------------------------------------------------------


@pytest.fixture
def served(sim) -> Iterator[str]:
    with serve(sim) as server:
        yield server.base_url


def test_a_failed_run_resumes_from_the_cursor_it_observed_in_dagster(
    sim, served: str, settings: Settings, zones: StoreZones, tmp_path: Path
) -> None:
    from hl_d365_assets.defs.landing.assets import (
        TICKETS_KEY,
        heartland_retail_pull,
        latest_ticket_cursor,
    )
    from hl_d365_assets.defs.resources import build_resources
    from hl_d365_assets.resources import MappingsResource

    resources = {
        **build_resources(settings),
        "heartland_retail": client(base_url=served, max_attempts=2),
        "mappings": MappingsResource(directory=str(tmp_path / "mappings")),
    }

    def pull_tickets(instance: dg.DagsterInstance, **options) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [heartland_retail_pull],
            selection=[TICKETS_KEY],
            instance=instance,
            resources=resources,
            run_config=QUIET,
            **options,
        )

    with dg.DagsterInstance.ephemeral() as instance:
        sim.faults.slow(0, times=3, path=TICKETS_PATH)
        sim.faults.fail(times=None, status=500, path=TICKETS_PATH)
        failed = pull_tickets(instance, raise_on_error=False)
        assert not failed.success
        assert latest_ticket_cursor(instance).last_id == 1030
        sim.faults.clear()
        resumed = pull_tickets(instance)
        (materialised,) = resumed.asset_materializations_for_node("heartland_retail_pull")
        metadata = materialised.metadata
        assert metadata["cursor_at_start"].value["last_id"] == 1030
        assert metadata["new_tickets"].value == 20
        assert metadata["ticket_cursor"].value["last_id"] == 1050
        assert latest_ticket_cursor(instance).last_id == 1050
    zone = LandingZone(settings.landing_dir)
    counted = versions(zone)
    assert len(counted) == 50 and set(counted.values()) == {1}
