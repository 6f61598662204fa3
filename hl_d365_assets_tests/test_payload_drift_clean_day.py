"""A clean sandbox day is no drift, on every raw entity the payload_shape check covers: the
gateway's transactions and settlements and the six Retail entities from the sandbox day, a paid
payment link's notification from the GP-API simulator and a sales order's business event from the
D365 simulator, both delivered over HTTP to the real webhook receiver. A field the sandbox sends
and a parser deliberately skips is declared in the parse file's ``-- Contract, read past:`` list;
one that is neither read nor declared fails here."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import httpx

from hl_d365_assets.d365.order_events import SALES_ORDER_CHANGED
from hl_d365_assets.defs.raw.checks import payload_shape_checks
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.mapping_copilot.field_mappings import day_drift
from hl_d365_assets.raw_loader import SOURCES, raw_table
from hl_d365_assets.sandbox import DefectRates
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_KEY
from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator
from hl_d365_assets.sandbox.resources import heartland_client
from hl_d365_assets.webhook.payment_notifications import PAYMENTS_PATH
from hl_d365_assets_tests.held_days import land_small_day
from hl_d365_assets_tests.loopback_receiver import (
    TOKEN,
    client_for,
    create_order,
    receiver_config,
    receiver_on_loopback,
)

DAY = date(2026, 11, 12)


def covered_entities() -> set[tuple[str, str]]:
    """(source, entity) of every raw table a payload_shape check is defined on."""
    by_table = {raw_table(s, e): (s, e) for s, entities in SOURCES.items() for e in entities}
    return {
        by_table[key.asset_key.path[-1]]
        for check in payload_shape_checks
        for key in check.check_keys
    }


def land_notification_and_business_event(settings) -> None:
    """A paid link's notification (GP-API simulator) and a new order's business event (D365
    simulator), each sent over HTTP to the receiver, which lands them."""
    d365 = D365Simulator(page_size=50)
    gateway = HeartlandSimulator()
    config = receiver_config(settings, app_key=SANDBOX_APP_KEY)
    try:
        with serve(d365) as server, receiver_on_loopback(config) as (receiver_url, _):
            d365.business_events.activate(
                SALES_ORDER_CHANGED, f"{receiver_url}/webhooks/d365/{TOKEN}", "usrt"
            )
            create_order(client_for(server.base_url), "US-024", ("SKU-10313", "2"))
            with heartland_client("http://gp.sim/ucp").open(gateway.transport()) as api:
                link = api.create_link(
                    {
                        "type": "PAYMENT", "usage_mode": "SINGLE", "usage_limit": "1",
                        "reference": "SO-000001", "name": "Order SO-000001",
                        "expiration_date": "2099-01-01T00:00:00Z", "status": "ACTIVE",
                        "transactions": {"amount": "12271", "channel": "CNP", "currency": "USD"},
                        "notifications": {"status_url": receiver_url + PAYMENTS_PATH},
                    },
                    idempotency_key="drift-clean-day-link",
                )  # fmt: skip
            with httpx.Client(transport=gateway.transport(), base_url="http://gp.sim") as raw:
                paid = raw.post(f"/sandbox/links/{link['id']}/pay").json()
            assert paid["notification"]["status"] == 200
            assert d365.business_events.wait_idle()
            deadline = time.monotonic() + 10
            while any(settings.landing_dir.rglob(".*.tmp")):
                assert time.monotonic() < deadline, "the receiver did not commit its segments"
                time.sleep(0.05)
    finally:
        d365.close()


def test_a_clean_sandbox_day_is_no_drift_on_any_entity_the_check_covers(tmp_path: Path) -> None:
    settings = land_small_day(tmp_path, DAY, DefectRates.none())
    land_notification_and_business_event(settings)
    zone = LandingZone(settings.landing_dir)
    findings: dict[str, list[tuple[str, str]]] = {}
    with duckdb.connect() as conn:
        for source, entity in sorted(covered_entities()):
            days = zone.business_dates(source, entity)
            assert days, f"the sandbox landed nothing for {source}/{entity}"
            for day in days:
                drift = day_drift(conn, source, entity, zone.segments(source, entity, day))
                findings[f"{source}/{entity} {day}"] = [
                    (d.field, d.change) for d in drift if d.change in ("new", "vanished")
                ]
    assert covered_entities() >= {
        ("heartland", "payment_notifications"),
        ("d365", "business_events"),
        ("heartland_retail", "tickets"),
    }
    drifted = {day: found for day, found in findings.items() if found}
    assert not drifted, "\n".join(f"{day}: {found}" for day, found in drifted.items())
