"""D365 orders paid through Heartland: GP's word on each payment comes in through the signed
status_url endpoint (or the poll when a notification is lost), moves the order through the states
of the reference's §5 table, raises exceptions and alerts for what needs a person, reverses a
refunded payment, and shows where D365's status disagrees.

Everything runs for real: the receiver's ASGI app, the landing writer, the raw loader, the SQL of
canonical.order_payments and recon.order_payments on a DuckDB file, and the GP-API simulator for
the poll."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.events import StoreZones, event_from_resource
from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, sign
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope
from hl_d365_assets.ledger.journal_key import JournalKey
from hl_d365_assets.ledger.plan import PlannedCustomerPayments, PlannedPayment
from hl_d365_assets.order_payments.poll import open_orders, poll_orders
from hl_d365_assets.order_payments.warehouse import reconcile_order_payments
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.sandbox.order_payments import SALES_ORDERS_CSV
from hl_d365_assets.settings import Settings
from hl_d365_assets.table_checks import read_partition
from hl_d365_assets.table_models import canonical as canonical_models
from hl_d365_assets.table_models import raw as raw_models
from hl_d365_assets.warehouse import ensure_schema, run_script, sql_file
from hl_d365_assets.webhook import ReceiverConfig, create_app
from hl_d365_assets.webhook.payment_notifications import PAYMENTS_PATH
from hl_d365_assets_tests.conftest import generate_days, run_range

pytestmark = pytest.mark.schedule_first  # a sandbox day and servers per test: start early

DAY = date(2026, 11, 20)
RECEIVED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MERCHANT_S001 = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"
ORDERS = [
    # dataAreaId, number, customer, currency, status, total
    ("usrt", "SO-000001", "US-024", "USD", "Backorder", "1227.12"),
    ("usrt", "SO-000002", "CA-006", "CAD", "Backorder", "598.75"),
    ("usrt", "SO-000003", "US-001", "USD", "Backorder", "100.00"),
    ("usrt", "SO-000004", "US-002", "USD", "Backorder", "250.00"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def transaction(
    trn: str,
    order: str | None,
    minor: int,
    *,
    currency: str = "USD",
    status: str = "CAPTURED",
    kind: str = "SALE",
    at: str = "2026-11-20T15:00:00.000Z",
    parent: str = "",
    reference: str | None = None,
) -> dict:
    """A transaction resource as GP posts it to a status_url: the order in link_data.reference."""
    body = {
        "id": trn,
        "time_created": at,
        "status": status,
        "type": kind,
        "channel": "CNP",
        "merchant_id": MERCHANT_S001,
        "amount": str(minor),
        "currency": currency,
        "reference": reference if reference is not None else f"ATTEMPT-{trn[-6:]}",
        "parent_resource_id": parent,
        "payment_method": {
            "result": "00" if status == "CAPTURED" else "101",
            "message": "SUCCESS",
            "entry_mode": "ECOM",
            "card": {"brand": "VISA", "masked_number_last4": "XXXXXXXXXXXX1111"},
        },
        "action": {"result_code": "SUCCESS" if status != "DECLINED" else "DECLINED"},
    }
    if order is not None:
        body["link_data"] = {"id": "LNK_" + trn[4:], "reference": order}
    return body


def compact(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def deliver(config: ReceiverConfig, bodies: list[dict], signature: str = "sign") -> list:
    app = create_app(config)
    answers = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            for body in bodies:
                raw = compact(body)
                headers = {"content-type": "application/json"}
                if signature == "sign":
                    headers[SIGNATURE_HEADER] = sign(raw, SANDBOX_APP_KEY)
                elif signature:
                    headers[SIGNATURE_HEADER] = signature
                answers.append(await client.post(PAYMENTS_PATH, content=raw, headers=headers))
    return answers


@pytest.fixture
def config(settings: Settings) -> ReceiverConfig:
    return ReceiverConfig.from_settings(
        settings, SANDBOX_APP_KEY, max_segment_age_seconds=60, clock=lambda: RECEIVED
    )


@pytest.fixture
def warehouse(settings: Settings):
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(conn)
    load_mappings(conn, settings.mappings_dir)
    for entity, number, customer, currency, status, total in ORDERS:
        conn.execute(
            "INSERT INTO raw.d365_sales_orders (dataAreaId, SalesOrderNumber, "
            "InvoiceCustomerAccountNumber, CurrencyCode, SalesOrderStatus, OrderTotalAmount, "
            "pulled_at) VALUES (?, ?, ?, ?, ?, CAST(? AS DECIMAL(18, 2)), now())",
            [entity, number, customer, currency, status, total],
        )
    yield conn
    conn.close()


def request(conn, request_id: str, order: str, amount: str, **fields) -> None:
    """A payment request as the requester records it (ops.payment_requests)."""
    row = {
        "request_id": request_id,
        "legal_entity": "usrt",
        "sales_order_number": order,
        "kind": "link",
        "amount": amount,
        "currency": "USD",
        "customer_account": "US-003",
        "status": "created",
        "gp_id": "LNK_" + request_id,
        "expires_at": "2027-12-31T00:00:00Z",
        "recorded_at": "2026-11-20T13:00:00Z",
        "sent_at": "2026-11-20T13:00:01Z",
        "answered_at": "2026-11-20T13:00:02Z",
        "attempts": 1,
        **fields,
    }
    names = ", ".join(row)
    conn.execute(
        f"INSERT INTO ops.payment_requests ({names}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )


def land_gateway_feed(zone: LandingZone, resources: list[dict]) -> None:
    """The same transactions as the end-of-day pull lands them (the money feed)."""
    with LandingWriter(zone, producer="api-pull") as writer:
        for resource in resources:
            event = event_from_resource(resource)
            writer.append(
                "heartland",
                "payment_transactions",
                DAY,
                envelope(event.event_id, event.event_type, event.payload, "2026-11-21T03:00:00Z"),
            )


def build(conn, zone: LandingZone, days=(DAY,)) -> None:
    """What the daily job does for the day: raw, canonical, recon (the asset bodies' SQL)."""
    days = list(days)
    window = {"first": days[0], "last": days[-1]}
    for entity in ("payment_transactions", "payment_notifications"):
        segments = [p for d in days for p in zone.segments("heartland", entity, d)]
        load_entity(conn, entity, segments, days)
    for table in ("payments", "order_payments"):
        run_script(conn, sql_file("canonical/delete_partition.sql", table=table), window)
        run_script(conn, sql_file(f"canonical/insert_{table}.sql"), window)
    reconcile_order_payments(conn, days[0], days[-1], "test-run")
    # What the schema_contract checks of both assets hold the rows to.
    for table, model in (
        ("raw.payment_notifications", raw_models.PaymentNotifications),
        ("canonical.order_payments", canonical_models.OrderPayments),
    ):
        model.validate(read_partition(conn, table, days[0], days[-1]))


def order_payments_to_post(conn) -> list[tuple]:
    """The gl step's order payments (sql/gl/stage_postings.sql), what becomes customer payments."""
    run_script(conn, sql_file("gl/stage_postings.sql"), {"first": DAY, "last": DAY})
    return conn.execute(
        "SELECT transaction_id, sales_order_number, customer_account, amount "
        "FROM gl_order_payments ORDER BY ALL"
    ).fetchall()


def exceptions(conn, kind: str) -> list[tuple]:
    return conn.execute(
        "SELECT source_keys, reported_amount, computed_amount, status, detail "
        "FROM recon.exceptions WHERE kind = ? ORDER BY ALL",
        [kind],
    ).fetchall()


def alerts(conn, kind: str) -> list[str]:
    return [
        message
        for (message,) in conn.execute(
            "SELECT message FROM ops.alerts WHERE kind = ? ORDER BY ALL",
            ["reconciliation_" + kind],
        ).fetchall()
    ]


@pytest.mark.anyio
async def test_a_signed_notification_is_landed_and_a_bad_or_missing_signature_refused(
    config: ReceiverConfig,
) -> None:
    body = transaction("TRN_SIGNED000000000000000000000001", "SO-000001", 122712)
    ok, again, forged, unsigned = [
        *(await deliver(config, [body, body])),
        *(await deliver(config, [body], signature="00" * 64)),
        *(await deliver(config, [body], signature="")),
    ]
    assert ok.status_code == 200 and ok.json()["status"] == "landed"
    assert ok.json()["event_id"] == "NTF_SIGNED000000000000000000000001_CAPTURED"
    assert again.json()["status"] == "duplicate"
    for refused, reason in ((forged, "bad_signature"), (unsigned, "missing_signature")):
        assert refused.status_code == 401 and refused.json()["reason"] == reason
        # Nothing of the body is echoed back.
        assert "SO-000001" not in refused.text and "link_data" not in refused.text
    landed = [
        json.loads(line)
        for path in (config.landing_dir / "heartland" / "payment_notifications").rglob("*.ndjson")
        for line in path.read_text().splitlines()
    ]
    assert [(line["event_type"], line["payload"]["link_data"]["reference"]) for line in landed] == [
        ("payment.notified", "SO-000001")
    ]


@pytest.mark.anyio
async def test_a_notification_for_an_unknown_order_is_an_exception_and_never_posts(
    config: ReceiverConfig, warehouse, zone: LandingZone
) -> None:
    stray = transaction("TRN_UNKNOWN00000000000000000000001", "SO-999999", 5000)
    (answer,) = await deliver(config, [stray])
    assert answer.status_code == 200  # landed: never dropped
    land_gateway_feed(zone, [stray])
    build(warehouse, zone)
    [(known, issue)] = warehouse.execute(
        "SELECT order_known, mapping_issue FROM canonical.order_payments"
    ).fetchall()
    assert not known and issue.startswith("unknown_order: SO-999999")
    [(keys, reported, _, status, _)] = exceptions(warehouse, "payment_for_unknown_order")
    assert keys == "transaction_id=TRN_UNKNOWN00000000000000000000001, order_reference=SO-999999"
    assert reported == pytest.approx(50) and status == "open"
    assert len(alerts(warehouse, "payment_for_unknown_order")) == 1
    assert order_payments_to_post(warehouse) == []


@pytest.mark.anyio
async def test_a_payment_larger_or_smaller_than_the_order_is_an_exception_with_both_amounts(
    config: ReceiverConfig, warehouse, zone: LandingZone
) -> None:
    over = transaction("TRN_OVER0000000000000000000000001", "SO-000001", 130000)
    under = transaction("TRN_UNDER000000000000000000000001", "SO-000002", 50000, currency="CAD")
    await deliver(config, [over, under])
    build(warehouse, zone)
    [(keys, paid, total, status, detail)] = exceptions(warehouse, "order_payment_over")
    assert keys == "legal_entity=usrt, sales_order_number=SO-000001"
    assert (paid, total) == (Decimal("1300.00"), Decimal("1227.12")) and status == "open"
    assert "over by 72.88" in detail
    [(keys, paid, total, _, detail)] = exceptions(warehouse, "order_payment_under")
    assert (paid, total) == (Decimal("500.00"), Decimal("598.75")) and "under by 98.75" in detail
    assert warehouse.execute(
        "SELECT sales_order_number, status, difference FROM recon.order_payments ORDER BY 1"
    ).fetchall() == [
        ("SO-000001", "overpaid", Decimal("72.88")),
        ("SO-000002", "underpaid", Decimal("-98.75")),
    ]
    assert alerts(warehouse, "order_payment_over") and alerts(warehouse, "order_payment_under")


def test_a_link_that_expires_unpaid_is_an_exception_and_an_alert(
    warehouse, zone: LandingZone
) -> None:
    request(warehouse, "REQ0003", "SO-000003", "100.00", expires_at="2026-11-20T20:00:00Z")
    build(warehouse, zone)
    assert warehouse.execute(
        "SELECT state, source_event, sequence FROM canonical.order_payments ORDER BY sequence"
    ).fetchall() == [("awaiting_payment", "request", 1), ("expired", "request", 2)]
    [(keys, _, _, status, detail)] = exceptions(warehouse, "order_payment_link_expired")
    assert keys == (
        "legal_entity=usrt, sales_order_number=SO-000003, request_id=REQ0003, link_id=LNK_REQ0003"
    )
    assert status == "open" and "expired at 2026-11-20" in detail
    assert len(alerts(warehouse, "order_payment_link_expired")) == 1


@pytest.mark.anyio
async def test_a_declined_payment_is_an_exception_and_clears_once_the_order_is_paid(
    config: ReceiverConfig, warehouse, zone: LandingZone
) -> None:
    request(warehouse, "REQ0004", "SO-000004", "250.00")
    declined = transaction(
        "TRN_DECLINED00000000000000000001", "SO-000004", 25000, status="DECLINED"
    )
    await deliver(config, [declined])
    build(warehouse, zone)
    [(keys, _, _, status, detail)] = exceptions(warehouse, "order_payment_declined")
    assert keys.endswith("transaction_id=TRN_DECLINED00000000000000000001")
    assert status == "open" and "declined (DECLINED, notification" in detail
    assert len(alerts(warehouse, "order_payment_declined")) == 1

    paid = transaction(
        "TRN_PAIDLATER0000000000000000001", "SO-000004", 25000, at="2026-11-20T18:00:00.000Z"
    )
    await deliver(config, [paid])
    build(warehouse, zone)
    [(_, _, _, status, _)] = exceptions(warehouse, "order_payment_declined")
    assert status == "cleared"
    assert warehouse.execute(
        "SELECT state FROM canonical.order_payment_states WHERE sales_order_number = 'SO-000004'"
    ).fetchall() == [("paid",)]


@pytest.mark.anyio
async def test_a_refund_of_an_order_payment_becomes_a_reversing_line(
    config: ReceiverConfig, warehouse, zone: LandingZone
) -> None:
    sale = transaction(
        "TRN_SALE00000000000000000000000001", "SO-000001", 122712, reference="SO-000001"
    )
    refund = transaction(
        "TRN_REFUND000000000000000000000001",
        None,
        20000,
        kind="REFUND",
        parent=sale["id"],
        reference="RFND-1",
        at="2026-11-20T19:00:00.000Z",
    )
    await deliver(config, [sale])
    land_gateway_feed(zone, [sale, refund])
    build(warehouse, zone)
    assert order_payments_to_post(warehouse) == [
        ("TRN_REFUND000000000000000000000001", "SO-000001", "US-024", Decimal("-200.00")),
        ("TRN_SALE00000000000000000000000001", "SO-000001", "US-024", Decimal("1227.12")),
    ]
    # As the poster sends them: the refund a debit of the customer beside the untouched credit,
    # each with its GP transaction as PaymentReference.
    journal = PlannedCustomerPayments(
        JournalKey("usrt", DAY, "USD"), "", Decimal(1), 0, [], "", payments=[
            PlannedPayment(trn, order, customer, amount, "130900")
            for trn, order, customer, amount in order_payments_to_post(warehouse)
        ]
    )  # fmt: skip
    assert [
        (line["PaymentReference"], line["DebitAmount"], line["CreditAmount"])
        for line in journal.d365_lines()
    ] == [
        ("TRN_REFUND000000000000000000000001", Decimal("200.00"), 0),
        ("TRN_SALE00000000000000000000000001", 0, Decimal("1227.12")),
    ]
    assert warehouse.execute(
        "SELECT state, source_event, amount FROM canonical.order_payments ORDER BY sequence"
    ).fetchall() == [
        ("paid", "notification", Decimal("1227.12")),
        ("refunded", "gateway", Decimal("-200.00")),
    ]


def test_a_lost_notification_is_caught_by_the_poll(
    settings: Settings, warehouse, zone: LandingZone, tmp_path: Path
) -> None:
    request(warehouse, "REQ0001", "SO-000001", "1227.12")
    gp_holds = LandingZone(tmp_path / "gp")
    paid = transaction("TRN_POLLED0000000000000000000001", "SO-000001", 122712)
    land_gateway_feed(
        gp_holds,
        [paid, transaction("TRN_OTHER0000000000000000000001", "SO-000002", 100, currency="CAD")],
    )
    simulator = HeartlandSimulator(gp_holds.root, clock=lambda: RECEIVED.timestamp())
    client = HeartlandClient(
        base_url="http://gp/ucp", app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY
    )
    zones = StoreZones.from_mappings(settings.mappings_dir, settings.merchant_timezone)
    orders = open_orders(warehouse)
    assert [o.sales_order_number for o in orders] == ["SO-000001"]
    with client.open(simulator.transport()) as api:
        report = poll_orders(api, zone, orders, zones, RECEIVED.date())
    assert report.transactions_found == 1 and dict(report.landed) == {"2026-11-20": 1}
    build(warehouse, zone)
    assert warehouse.execute(
        "SELECT state, source_event, transaction_id FROM canonical.order_payments ORDER BY sequence"
    ).fetchall() == [
        ("awaiting_payment", "request", None),
        ("paid", "poll", "TRN_POLLED0000000000000000000001"),
    ]
    assert open_orders(warehouse) == []  # paid: not asked again


@pytest.mark.anyio
async def test_the_alignment_view_lists_a_paid_order_d365_has_not_invoiced_with_its_age(
    warehouse, zone: LandingZone, config: ReceiverConfig
) -> None:
    paid = transaction("TRN_ALIGN0000000000000000000000001", "SO-000001", 122712)
    await deliver(config, [paid])
    build(warehouse, zone)
    [(order, disagreement, heartland, d365, since, minutes)] = warehouse.execute(
        "SELECT sales_order_number, disagreement, heartland_state, d365_status, "
        "disagreeing_since, disagreeing_minutes FROM recon.order_status_alignment"
    ).fetchall()
    assert (order, disagreement, heartland, d365) == (
        "SO-000001",
        "paid_not_invoiced",
        "paid",
        "Backorder",
    )
    assert since == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert minutes >= (datetime.now(UTC) - since).total_seconds() // 60 - 1


def test_the_daily_job_builds_order_payments_their_exceptions_and_alerts(
    settings: Settings, config: ReceiverConfig, instance: dg.DagsterInstance
) -> None:
    """The same, through the real Dagster job over a sandbox day: the assets are wired, their
    contracts hold, the alerts are delivered and the metadata counts what matters."""
    generate_days(
        settings,
        [DAY],
        SandboxConfig(seed=7, transactions_per_store_day=20, defect_rates=DefectRates.none()),
    )
    with build_resources(settings)["warehouse"].writer() as conn:
        conn.execute(
            "INSERT INTO raw.d365_sales_orders BY NAME SELECT *, now() AS pulled_at "
            "FROM read_csv($path, header = true, all_varchar = true)",
            {"path": str(SALES_ORDERS_CSV)},
        ).fetchall()
        request(conn, "REQ0003", "SO-000003", "100.00", expires_at="2026-11-20T20:00:00Z")
    # A link payment whose own reference is not the order: GP names the order in link_data.
    link_payment = transaction("TRN_JOBPAID00000000000000000000001", "SO-000001", 122712)
    land_gateway_feed(LandingZone(settings.landing_dir), [{**link_payment, "batch_id": "BAT_1"}])
    asyncio.run(
        deliver(
            config,
            [
                link_payment,
                transaction(
                    "TRN_JOBDECL00000000000000000000001", "SO-000004", 1000, status="DECLINED"
                ),
                transaction("TRN_JOBSTRAY0000000000000000000001", "SO-999999", 4200),
            ],
        )
    )
    result = run_range(settings, instance, [DAY])
    assert result.success
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }
    assert checks[("canonical/order_payments", "schema_contract")]
    assert checks[("raw/payment_notifications", "conservation")]
    [recon] = [
        m.materialization
        for m in result.get_asset_materialization_events()
        if m.materialization.asset_key == dg.AssetKey(["recon", "order_payments"])
    ]
    assert recon.metadata["orders_misaligned_with_d365"].value == 1
    assert recon.metadata["open_exceptions_by_kind"].value == {
        "order_payment_declined": 1,
        "order_payment_link_expired": 1,
        "payment_for_unknown_order": 1,
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert conn.execute(
            "SELECT kind FROM ops.alerts WHERE kind LIKE 'reconciliation_%order%' ORDER BY 1"
        ).fetchall() == [
            ("reconciliation_order_payment_declined",),
            ("reconciliation_order_payment_link_expired",),
            ("reconciliation_payment_for_unknown_order",),
        ]
        # The money: posted against the order GP named, with its TRN_ id, not left unexplained.
        assert conn.execute(
            "SELECT transaction_id, sales_order_number, customer_account, amount "
            "FROM gl.customer_payments"
        ).fetchall() == [
            ("TRN_JOBPAID00000000000000000000001", "SO-000001", "US-024", Decimal("1227.12"))
        ]
        assert conn.execute(
            "SELECT status, reason FROM recon.tenders_vs_gateway "
            "WHERE transaction_id = 'TRN_JOBPAID00000000000000000000001'"
        ).fetchall() == [
            (
                "sales_order_payment",
                "pays D365 sales order SO-000001 of customer US-024 (order total 1227.12 USD); "
                "no POS ticket behind it",
            )
        ]


def test_the_payment_poll_job_asks_gp_over_http_and_lands_what_it_finds(
    settings: Settings, warehouse, zone: LandingZone, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    """payment_poll_job as its schedule runs it, against the GP-API simulator on loopback."""
    request(warehouse, "REQ0001", "SO-000001", "1227.12")
    warehouse.close()  # the job's warehouse resource opens it
    gp_holds = LandingZone(tmp_path / "gp")
    land_gateway_feed(
        gp_holds, [transaction("TRN_JOBPOLL00000000000000000000001", "SO-000001", 122712)]
    )
    with serve(HeartlandSimulator(gp_holds.root)) as server:
        heartland = HeartlandClient(
            base_url=server.base_url, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY
        )
        result = payment_poll_job_def().execute_in_process(
            instance=instance, resources={**build_resources(settings), "heartland": heartland}
        )
    assert result.success
    [materialization] = [m.materialization for m in result.get_asset_materialization_events()]
    assert materialization.metadata["open_orders_polled"].value == 1
    assert materialization.metadata["events_landed"].value == 1
    [segment] = zone.segments("heartland", "payment_notifications", DAY)
    [line] = [json.loads(text) for text in segment.read_text().splitlines()]
    assert (line["event_id"], line["event_type"]) == (
        "NTF_JOBPOLL00000000000000000000001_CAPTURED",
        "payment.polled",
    )


def payment_poll_job_def() -> dg.JobDefinition:
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.landing.jobs import payment_poll_job

    return defs.resolve_job_def(payment_poll_job.name)


@pytest.mark.anyio
async def test_a_notification_carrying_a_card_number_is_quarantined_masked_never_loaded(
    config: ReceiverConfig, warehouse, zone: LandingZone
) -> None:
    leaky = transaction("TRN_LEAKY0000000000000000000000001", "SO-000001", 122712)
    leaky["description"] = "card 4111 1111 1111 1111 exp 12/29"
    (answer,) = await deliver(config, [leaky])
    assert answer.status_code == 200 and "4111" not in answer.text
    build(warehouse, zone)
    assert warehouse.execute("SELECT count(*) FROM raw.payment_notifications").fetchall() == [(0,)]
    assert warehouse.execute("SELECT count(*) FROM canonical.order_payments").fetchall() == [(0,)]
    [(reason, payload)] = warehouse.execute(
        "SELECT reason_code, masked_payload FROM ops.quarantine "
        "WHERE entity = 'payment_notifications'"
    ).fetchall()
    assert reason == "card_number_detected" and "4111 1111 1111 1111" not in payload
    assert warehouse.execute(
        "SELECT severity FROM ops.alerts WHERE kind = 'card_number_received'"
    ).fetchall() == [("critical",)]
