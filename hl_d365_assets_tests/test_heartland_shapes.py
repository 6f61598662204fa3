"""GP-API rows as the real service writes them, not as our generator does (issue 13 items 1-3).

The rows below are written for this test from the shapes in shared/reference/gp-api.md and the
official SDKs' mapping-test samples: report rows with ``action_create_id`` and no ``action``, or
with the read's own ``TRANSACTION_SINGLE`` action; the card number in each masked form the SDK
mappers read; the brand at the row's top level; numbers as JSON numbers; and settlement batches
whose net figures are negative. They go through the real receiver (ASGI, in process) and through
the real end-of-day pull against the simulator on loopback, into a real warehouse.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.events import StoreZones, event_from_resource
from hl_d365_assets.heartland.pull import pull_days
from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, sign
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets.webhook import WEBHOOK_PATH, ReceiverConfig, create_app
from hl_d365_assets_tests.conftest import rematerialise

DAY = date(2026, 11, 19)
IN_WINDOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MERCHANT = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"  # S001, New York (mappings/stores.csv)


def report_row(trn: str, **changes) -> dict:
    """A ``GET /transactions`` row: the §3 detail sample's fields, ``action_create_id``, no action."""
    row = {
        "id": trn,
        "time_created": "2026-11-19T17:04:11.532Z",
        "time_last_updated": "",
        "status": "CAPTURED",
        "type": "SALE",
        "merchant_id": MERCHANT,
        "merchant_name": "Sandbox_merchant_2",
        "account_id": "TRA_c9ee3d2fb6a04d07a7a4c6d3e8b1f0aa",
        "account_name": "Transaction_Processing",
        "channel": "CP",
        "capture_mode": "AUTO",
        "amount": "2599",
        "currency": "USD",
        "reference": "e1a7c0d4-reference",
        "description": "",
        "order_reference": "",
        "time_created_reference": "",
        "batch_id": "BAT_983471",  # a captured sample's; "" until batched
        "initiator": "",
        "country": "US",
        "language": "",
        "ip_address": "",
        "site_reference": "S001",
        "action_create_id": "ACT_" + trn.removeprefix("TRN_"),
        "parent_resource_id": trn,
        "payment_method": {
            "result": "00",
            "message": "SUCCESS",
            "entry_mode": "CHIP",
            "name": "NAME NOT PROVIDED",
            "card": {
                "brand": "VISA",
                "masked_number_first6last4": "411111XXXXXX1111",
                "authcode": "12345",
                "brand_reference": "MCCwWq7Lr",
                "funding": "CREDIT",
            },
        },
    }
    row.update(changes)
    return row


def real_rows() -> list[dict]:
    plain = report_row("TRN_RealPlainSaleNoActionObjectA")
    # A settled-report row: FUNDED, deposit fields, an action that is the read itself; the card's
    # last four in the create-response form, first six apart, the brand on the row, numbers as
    # JSON numbers.
    settled = report_row(
        "TRN_RealSettledRowWithReadActionB",
        status="FUNDED",
        amount=4550,
        gratuity_amount=300,
        brand="MASTERCARD",
        number_first6="542418",
        deposit_id="DEP_2342423423",
        deposit_status="FUNDED",
        deposit_time_created="2026-11-20",
        system={"mid": "101023947262", "hierarchy": "055-70-024-011-019"},
        action={
            "id": "ACT_TheReadOfThisReportNotAnEvent",
            "type": "TRANSACTION_SINGLE",
            "time_created": "2026-11-21T09:00:00.000Z",
            "result_code": "SUCCESS",
        },
        payment_method={
            "result": "00",
            "message": "SUCCESS",
            "entry_mode": "CONTACTLESS_CHIP",
            "card": {"masked_number_last4": "XXXXXXXXXXXX5262", "authcode": "0Q2J1S"},
        },
    )
    # A refund with the stored-card form of the last four (lowercase x).
    refund = report_row(
        "TRN_RealRefundNumberLast4OnlyRowC",
        type="REFUND",
        amount="1000",
        parent_resource_id=plain["id"],
        payment_method={
            "result": "00",
            "message": "SUCCESS",
            "entry_mode": "SWIPE",
            "card": {"brand": "VISA", "number_last4": "xxxxxxxxxxxx1111", "funding": "DEBIT"},
        },
    )
    return [plain, settled, refund]


def expected_event_id(row: dict) -> str:
    return f"EVT_{row['id'].removeprefix('TRN_')}_{row['status']}"


@asynccontextmanager
async def receiving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    config = ReceiverConfig.from_settings(
        settings, SANDBOX_APP_KEY, max_segment_age_seconds=60, clock=lambda: IN_WINDOW
    )
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            yield client


async def notify(client: httpx.AsyncClient, resource: dict) -> httpx.Response:
    body = json.dumps(resource, separators=(",", ":")).encode()
    headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(body, SANDBOX_APP_KEY)}
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    ensure_schema(connection)
    return connection


def pulled_into(tmp_path: Path, rows: list[dict]) -> LandingZone:
    """What the end-of-day pull lands from a GP-API that holds ``rows``."""
    holds = LandingZone(tmp_path / "holds")
    with LandingWriter(holds, "test") as writer:
        lines = [
            envelope(f"EVT_HELD_{n}", "transaction.captured", row) for n, row in enumerate(rows)
        ]
        writer.append_lines("heartland", "payment_transactions", DAY, lines)
    pulled = LandingZone(tmp_path / "pulled")
    zones = StoreZones.from_mappings(PROJECT_ROOT / "mappings", "America/New_York")
    with serve(HeartlandSimulator(holds.root)) as server:
        client = HeartlandClient(
            base_url=server.base_url, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY
        )
        with client.open() as api:
            report = pull_days(api, pulled, [DAY], zones)
    assert report.flagged["payment_transactions"] == 0
    return pulled


def raw_event_ids(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute("SELECT event_id FROM raw.payment_transactions ORDER BY 1").fetchall()
    return [event_id for (event_id,) in rows]


@pytest.mark.anyio
async def test_real_report_rows_load_by_webhook_and_by_pull_under_one_event_id(
    settings: Settings, zone: LandingZone, tmp_path: Path
) -> None:
    rows = real_rows()
    async with receiving(settings) as client:
        answers = [await notify(client, row) for row in rows]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert [a.json()["event_id"] for a in answers] == [expected_event_id(r) for r in rows]

    conn = open_warehouse(settings.warehouse_path)
    [by_webhook] = load_entity(
        conn, "payment_transactions", zone.segments("heartland", "payment_transactions", DAY), [DAY]
    )
    assert (by_webhook.loaded, by_webhook.quarantined) == (3, 0)

    pulled = pulled_into(tmp_path, rows)
    pull_conn = open_warehouse(tmp_path / "pull" / "warehouse.duckdb")
    pulled_segments = pulled.segments("heartland", "payment_transactions", DAY)
    [by_pull] = load_entity(pull_conn, "payment_transactions", pulled_segments, [DAY])
    assert (by_pull.loaded, by_pull.quarantined) == (3, 0)
    assert raw_event_ids(pull_conn) == raw_event_ids(conn) == sorted(map(expected_event_id, rows))

    # The pull completing the webhook's day finds every event already there.
    both = zone.segments("heartland", "payment_transactions", DAY) + pulled_segments
    [completed] = load_entity(conn, "payment_transactions", both, [DAY])
    assert (completed.loaded, completed.duplicates, completed.quarantined) == (3, 3, 0)
    actions = dict(
        conn.execute("SELECT transaction_id, action_id FROM raw.payment_transactions").fetchall()
    )
    # The read's action is never taken for the event's: the creating action stands in.
    assert actions["TRN_RealSettledRowWithReadActionB"] == "ACT_RealSettledRowWithReadActionB"


def test_each_state_of_a_transaction_is_one_event_whichever_road_it_came_by() -> None:
    sale = report_row("TRN_LifeCycleOfOneTransactionXYZ")
    statuses = ("CAPTURED", "BATCHED", "FUNDED", "REVERSED")
    by_pull = [event_from_resource({**sale, "status": s}).event_id for s in statuses]
    notified = {**sale, "action": {"id": "ACT_TheCaptureItself", "type": "AUTHORIZE"}}
    notified.pop("action_create_id")
    by_webhook = [event_from_resource({**notified, "status": s}).event_id for s in statuses]
    assert by_pull == by_webhook
    assert len(set(by_pull)) == len(statuses)


def test_every_variant_field_reaches_canonical(
    settings: Settings, zone: LandingZone, instance: dg.DagsterInstance
) -> None:
    rows = real_rows()
    with LandingWriter(zone, "test") as writer:
        lines = [
            envelope(expected_event_id(r), "transaction.captured", r, "2026-11-19T18:00:00.000Z")
            for r in rows
        ]
        writer.append_lines("heartland", "payment_transactions", DAY, lines)
    # The gateway's rows are read back from canonical.payments: it and what it is built from are
    # materialised ("materialize selected" with its upstream), not the day's reconciliation,
    # risk and journals, which read it and would add ~80 steps over three rows.
    canonical = dg.AssetSelection.assets(dg.AssetKey(["canonical", "payments"])).upstream()
    assert rematerialise(settings, instance, [DAY], canonical).success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        found = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT transaction_id, card_brand, card_first6, card_last4, amount, tip_amount "
                "FROM canonical.payments"
            ).fetchall()
        }
    assert found == {
        "TRN_RealPlainSaleNoActionObjectA": ("VISA", "411111", "1111", Decimal("25.99"), 0),
        "TRN_RealSettledRowWithReadActionB": (
            "MASTERCARD",
            "542418",
            "5262",
            Decimal("45.50"),
            Decimal("3.00"),
        ),
        "TRN_RealRefundNumberLast4OnlyRowC": ("VISA", None, "1111", Decimal("-10.00"), 0),
    }


# --- settlement batches: which signs are legal ---------------------------------------------------


@pytest.fixture
def batch_sample(tmp_path: Path) -> dict:
    scratch = LandingZone(tmp_path / "scratch")
    generate(
        scratch,
        [DAY],
        SandboxConfig(
            seed=5, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
        ),
    )
    [segment] = scratch.segments("heartland", "settlement_batches", DAY)
    return json.loads(segment.read_text().splitlines()[0])


def batch_line(sample: dict, event_id: str, batch_id: str, **changes) -> str:
    payload = {**sample["payload"], "id": batch_id, **changes}
    return json.dumps({**sample, "event_id": event_id, "payload": payload}, separators=(",", ":"))


def test_a_batch_whose_refunds_exceed_its_sales_loads_and_an_illegal_sign_is_named(
    settings: Settings, zone: LandingZone, batch_sample: dict
) -> None:
    brands = batch_sample["payload"]["brand_breakdown"]
    deposit = batch_sample["payload"]["deposit"]
    refund_heavy = {
        "amount": "-7000",
        "sales": {"count": 1, "amount": "1000"},
        "refunds": {"count": 2, "amount": "-8000"},  # GP's deposit sample writes refunds negative
        "deposit": {**deposit, "amount": "-7150"},
        "brand_breakdown": [{**brands[0], "amount": "-7000"}],
    }
    with LandingWriter(zone, "test") as writer:
        writer.append_lines(
            "heartland",
            "settlement_batches",
            DAY,
            [
                batch_line(batch_sample, "EVT_B_NET", "BAT_NET", **refund_heavy),
                batch_line(
                    batch_sample, "EVT_B_SALES", "BAT_SALES", sales={"count": 1, "amount": "-5"}
                ),
                batch_line(batch_sample, "EVT_B_COUNT", "BAT_COUNT", transaction_count=-3),
            ],
        )
    conn = open_warehouse(settings.warehouse_path)
    segments = zone.segments("heartland", "settlement_batches", DAY)
    [day] = load_entity(conn, "settlement_batches", segments, [DAY])
    assert (day.loaded, day.quarantined) == (1, 2)
    assert conn.execute(
        "SELECT amount, sales_amount, refunds_amount, deposit_amount FROM raw.settlement_batches"
    ).fetchall() == [(-7000, 1000, 8000, -7150)]
    reasons = {
        event_id: (code, detail)
        for event_id, code, detail in conn.execute(
            "SELECT event_id, reason_code, reason_detail FROM ops.quarantine"
        ).fetchall()
    }
    assert reasons["EVT_B_SALES"][0] == "negative_amount"
    assert 'payload.sales.amount "-5"' in reasons["EVT_B_SALES"][1]
    assert reasons["EVT_B_COUNT"][0] == "negative_amount"
    assert 'payload.transaction_count "-3"' in reasons["EVT_B_COUNT"][1]


def test_a_negative_transaction_amount_is_illegal_and_named(
    settings: Settings, zone: LandingZone
) -> None:
    rows = [
        report_row("TRN_NegativeGratuityOnASaleRowXY", gratuity_amount="-100"),
        report_row("TRN_FractionalJsonNumberAmountXY", amount=25.99),
    ]
    with LandingWriter(zone, "test") as writer:
        lines = [envelope(expected_event_id(r), "transaction.captured", r) for r in rows]
        writer.append_lines("heartland", "payment_transactions", DAY, lines)
    conn = open_warehouse(settings.warehouse_path)
    segments = zone.segments("heartland", "payment_transactions", DAY)
    [day] = load_entity(conn, "payment_transactions", segments, [DAY])
    assert (day.loaded, day.quarantined) == (0, 2)
    details = dict(conn.execute("SELECT reason_code, reason_detail FROM ops.quarantine").fetchall())
    assert 'payload.gratuity_amount "-100"' in details["negative_amount"]
    assert "payload.amount" not in details["negative_amount"]
    assert 'payload.amount "25.99"' in details["invalid_amount"]  # never read as a float
