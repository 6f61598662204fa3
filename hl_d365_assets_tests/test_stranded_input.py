"""Nothing stranded, nothing misattributed: input that the happy path never sees still ends
somewhere a person can find it.

- An event whose business day no partition will ever load (before HL_D365_FIRST_BUSINESS_DAY, far
  in the future) or whose timestamp is absurd is landed under the receipt day and quarantined
  there with its reason, never a 500 and never a folder no run reads.
- A record naming a store that is not ours is attributed to no store (``unknown_store``), never
  to another store of the same merchant.
- A request whose body never arrives in full is cut off after the read timeout, on the real
  server, which goes on serving others.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from hl_d365_assets.bench.webhook_throughput import sandbox_notifications, signed_body
from hl_d365_assets.heartland.events import DAY_FIELD
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_KEY
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.warehouse import run_script, sql_file
from hl_d365_assets.webhook import WEBHOOK_PATH, ReceiverConfig, create_app
from hl_d365_assets.webhook.config import REFUSALS_ENTITY
from hl_d365_assets.webhook.process import free_port, start_receiver

DAY = date(2026, 11, 19)
S001_MERCHANT = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"
S002_MERCHANT = "MER_1b3d5f7a9c2e4a6b8d0f1e3c5a7b9d2f"


@pytest.fixture
def clean_day(zone: LandingZone) -> dict[str, dict]:
    """One small clean sandbox day of store S001; a sample envelope of each gateway entity."""
    generate(
        zone,
        [DAY],
        SandboxConfig(
            seed=5, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
        ),
    )
    return {
        entity: json.loads(zone.segments("heartland", entity, DAY)[0].read_text().splitlines()[0])
        for entity in ("payment_transactions", "settlement_batches")
    }


@pytest.fixture
def conn(settings: Settings):
    from hl_d365_assets.warehouse import ensure_schema

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(connection)
    yield connection
    connection.close()


@pytest.fixture
def mappings_with_a_second_s001_store(tmp_path: Path) -> Path:
    """Our mappings plus S006, a second store trading under S001's merchant id."""
    directory = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", directory)
    with (directory / "stores.csv").open("a", encoding="utf-8") as stores:
        stores.write(
            f"S006,{S001_MERCHANT},Brooklyn Pop-up,usrt,USD,America/New_York,NY-STD,RETAIL,"
            "2020-01-01\n"
        )
    return directory


def _land(zone: LandingZone, entity: str, envelopes: list[dict]) -> None:
    with LandingWriter(zone, "test") as writer:
        writer.append_lines(
            "heartland", entity, DAY, [json.dumps(e, separators=(",", ":")) for e in envelopes]
        )


def _variant(sample: dict, event_id: str, record_id: str, **payload_changes) -> dict:
    return {
        **sample,
        "event_id": event_id,
        "payload": {**sample["payload"], "id": record_id, **payload_changes},
    }


def _build_canonical(conn, zone: LandingZone, mappings: Path, entity: str, table: str) -> None:
    load_entity(conn, entity, zone.segments("heartland", entity, DAY), [DAY])
    load_mappings(conn, mappings)
    window = {"first": DAY, "last": DAY}
    run_script(conn, sql_file("canonical/delete_partition.sql", table=table), window)
    run_script(conn, sql_file(f"canonical/insert_{table}.sql"), window)


STORE_CASES = [
    # (id suffix, site_reference, merchant_id, store expected, start of the mapping issue)
    ("OURS", "S001", S001_MERCHANT, "S001", None),
    ("UNKNOWN_SITE", "S999", S001_MERCHANT, None, 'unknown_store: site_reference "S999"'),
    ("OTHER_MERCHANTS_SITE", "S002", S001_MERCHANT, None, 'unknown_store: site_reference "S002"'),
    ("SECOND_STORE", "S006", S001_MERCHANT, "S006", None),
    ("NO_SITE", "", S001_MERCHANT, None, f'unknown_store: merchant_id "{S001_MERCHANT}" has 2'),
    ("NO_SITE_ONE_STORE", "", S002_MERCHANT, "S002", None),
    ("UNKNOWN_MERCHANT", "S001", "MER_0000", None, 'unknown_store: merchant_id "MER_0000"'),
]


@pytest.mark.parametrize(
    ("entity", "table", "key"),
    [
        ("payment_transactions", "payments", "transaction_id"),
        ("settlement_batches", "settlement_batches", "batch_id"),
    ],
)
def test_a_store_that_is_not_ours_is_attributed_to_no_store_and_named(
    conn, zone, clean_day, mappings_with_a_second_s001_store, entity, table, key
) -> None:
    """Before: the store came from the merchant id alone, so S999 (or S002's site) under S001's
    merchant id booked into S001, and a merchant with two stores doubled every row."""
    sample = clean_day[entity]
    prefix = "TRN_" if entity == "payment_transactions" else "BAT_"
    _land(
        zone,
        entity,
        [
            _variant(
                sample,
                f"EVT_STORE_{suffix}",
                f"{prefix}STORE_{suffix}",
                site_reference=site,
                merchant_id=merchant,
            )
            for suffix, site, merchant, _, _ in STORE_CASES
        ],
    )

    _build_canonical(conn, zone, mappings_with_a_second_s001_store, entity, table)

    rows = conn.execute(
        f"SELECT {key}, store_id, mapping_issue FROM canonical.{table} "
        f"WHERE {key} LIKE '{prefix}STORE_%'"
    ).fetchall()
    assert len(rows) == len(STORE_CASES), "one canonical row per record, never one per store"
    found = {record: (store, issue) for record, store, issue in rows}
    for suffix, _, _, store, issue in STORE_CASES:
        got_store, got_issue = found[f"{prefix}STORE_{suffix}"]
        assert got_store == store, suffix
        if issue is None:
            assert got_issue is None or "unknown_store" not in got_issue, (suffix, got_issue)
        else:
            assert got_issue is not None and got_issue.startswith(issue), (suffix, got_issue)


# --- nothing stranded outside the partitions ----------------------------------------------------

RECEIPT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
RECEIPT_DAY = date(2026, 11, 21)  # in New York, the merchant's zone
FIRST_DAY = date(2026, 1, 1)  # conftest's HL_D365_FIRST_BUSINESS_DAY

ABSURD_TIMES = [
    "0001-01-01T00:00:00+05:00",  # falls off the calendar in UTC: an OverflowError, a 500 before
    "0001-01-01T00:00:00Z",
    "0001-01-01T12:00:00-05:00",
    "9999-12-31T23:59:59-05:00",  # off the calendar the other way
    "9999-12-31T23:59:59.999999Z",
    "1969-07-20T20:17:40Z",
    "2999-01-01T00:00:00Z",
]
OUTSIDE_PARTITIONS = [
    "2025-12-31T12:00:00Z",  # the day before the first partition
    "2019-06-01T12:00:00+02:00",
    "2026-11-25T12:00:00Z",  # four days ahead of receipt: no partition yet, maybe never reloaded
    "2027-06-01T12:00:00Z",
]
UNPARSABLE = [
    "yesterday",
    "",
    "2026-13-45T00:00:00Z",
    "2026-11-20T12:00:00",
    "+99999-01-01T00:00Z",
    42,
]


@pytest.fixture(scope="module")
def notifications(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One clean sandbox notification of Nov 20 per entity the receiver lands (POS tickets are
    not webhook events: they come from the Heartland Retail pull)."""
    events = sandbox_notifications(60, date(2026, 11, 20), tmp_path_factory.mktemp("sandbox"), 1)
    by_entity = {}
    for event in events:
        by_entity.setdefault(event["event_type"], event)
    return {
        "payment_transactions": by_entity["transaction.captured"],
        "settlement_batches": by_entity["batch.closed"],
    }


@pytest.fixture
def config(settings: Settings) -> ReceiverConfig:
    return ReceiverConfig.from_settings(
        settings, SANDBOX_APP_KEY, max_segment_age_seconds=60, clock=lambda: RECEIPT
    )


@asynccontextmanager
async def receiving(config: ReceiverConfig) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, as uvicorn runs it; an app error is a 500, as a client sees."""
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            yield client


async def _post(client: httpx.AsyncClient, notification: dict) -> httpx.Response:
    body, signature = signed_body(notification)
    return await client.post(WEBHOOK_PATH, content=body, headers={"X-GP-Signature": signature})


def _json_or_text(response: httpx.Response) -> dict | str:
    try:
        return response.json()
    except ValueError:
        return response.text


def _with_times(notification: dict, event_id: str, fields: tuple[str, ...], value) -> dict:
    payload = {**notification["payload"], **dict.fromkeys(fields, value)}
    return {**notification, "event_id": event_id, "payload": payload}


TIME_FIELDS = {
    "payment_transactions": [
        ("time_created",),
        ("time_last_updated",),
        ("time_created", "time_last_updated"),
    ],
    "settlement_batches": [("time_created",), ("time_closed",), ("time_created", "time_closed")],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_absurd_and_unpartitioned_timestamps_are_never_a_500_and_never_stranded(
    config: ReceiverConfig, notifications: dict[str, dict]
) -> None:
    """Every time field of every entity, fuzzed: each answer is 200 (landed in a day some
    partition loads, quarantined with a reason when its time is wrong) or 400 naming the field."""
    answers = []
    async with receiving(config) as client:
        for entity, field_sets in TIME_FIELDS.items():
            for fields in field_sets:
                for n, value in enumerate([*ABSURD_TIMES, *OUTSIDE_PARTITIONS, *UNPARSABLE]):
                    event_id = f"EVT_FUZZ_{entity}_{'_'.join(fields)}_{n}"
                    sent = _with_times(notifications[entity], event_id, fields, value)
                    response = await _post(client, sent)
                    answers.append(
                        (entity, fields, value, response.status_code, _json_or_text(response))
                    )

    assert [a for a in answers if a[3] not in (200, 400)] == []
    for entity, fields, value, status, answer in answers:
        if status == 400:
            assert answer["reason"] == "bad_shape", (entity, fields, value, answer)
            assert value in UNPARSABLE, (entity, fields, value, answer)
            continue
        day = date.fromisoformat(answer["business_date"])
        assert FIRST_DAY <= day <= RECEIPT_DAY + timedelta(days=1), (entity, fields, value)
        if value in ABSURD_TIMES:
            assert answer["quarantined"].startswith("absurd_timestamp: "), (entity, fields, value)
            assert day == RECEIPT_DAY
        if value in OUTSIDE_PARTITIONS and DAY_FIELD[entity] in fields:
            assert answer["quarantined"].startswith("outside_partitions: "), (fields, value)
            assert day == RECEIPT_DAY
    assert {a[3] for a in answers} == {200, 400}

    landed_days = {
        p.parent.name
        for p in config.landing_dir.rglob("*.ndjson")
        if p.parts[-3] != REFUSALS_ENTITY
    }
    assert landed_days <= {"business_date=2026-11-20", f"business_date={RECEIPT_DAY}"}


@pytest.mark.anyio
async def test_an_event_before_the_first_partition_lands_under_the_receipt_day(
    config: ReceiverConfig, notifications: dict[str, dict]
) -> None:
    old = _with_times(
        notifications["payment_transactions"],
        "EVT_OLD",
        ("time_created", "time_last_updated"),
        "2025-12-31T23:30:00Z",
    )
    async with receiving(config) as client:
        answer = (await _post(client, old)).json()
    assert answer["status"] == "landed" and answer["business_date"] == str(RECEIPT_DAY)
    assert answer["quarantined"] == (
        "outside_partitions: business day 2025-12-31 of payload.time_created is before the "
        "first partition 2026-01-01 (HL_D365_FIRST_BUSINESS_DAY); landed under 2026-11-21"
    )


@pytest.mark.anyio
async def test_a_receipt_older_than_the_first_partition_lands_in_the_first_partition(
    config: ReceiverConfig, notifications: dict[str, dict]
) -> None:
    config = replace(config, first_business_day=date(2026, 12, 1))
    async with receiving(config) as client:
        answer = (await _post(client, notifications["settlement_batches"])).json()
    assert answer["business_date"] == "2026-12-01"
    assert answer["quarantined"].startswith("outside_partitions: business day 2026-11-20 ")


@pytest.mark.anyio
@pytest.mark.parametrize("entity", ["payment_transactions", "settlement_batches"])
async def test_every_misdated_event_ends_in_the_receipt_days_quarantine_with_its_reason(
    config: ReceiverConfig, notifications: dict[str, dict], conn, entity: str
) -> None:
    """Conservation sees them: the receipt day's load counts each as landed and quarantined."""
    field = TIME_FIELDS[entity][0]
    sent = {
        f"EVT_MISDATED_{n}": _with_times(notifications[entity], f"EVT_MISDATED_{n}", field, value)
        for n, value in enumerate(ABSURD_TIMES + OUTSIDE_PARTITIONS)
    }
    async with receiving(config) as client:
        for event in sent.values():
            assert (await _post(client, event)).status_code == 200

    zone = LandingZone(config.landing_dir)
    [load] = load_entity(
        conn, entity, zone.segments("heartland", entity, RECEIPT_DAY), [RECEIPT_DAY]
    )
    assert (load.landed, load.loaded, load.quarantined) == (len(sent), 0, len(sent))
    reasons = dict(
        conn.execute(
            "SELECT event_id, reason_code FROM ops.quarantine WHERE business_date = $day",
            {"day": RECEIPT_DAY},
        ).fetchall()
    )
    assert reasons == {
        f"EVT_MISDATED_{n}": "absurd_timestamp" if n < len(ABSURD_TIMES) else "outside_partitions"
        for n in range(len(sent))
    }


# --- slow and malformed HTTP, against the real server --------------------------------------------

READ_TIMEOUT = 1.0


@pytest.fixture
def real_receiver(tmp_path: Path) -> Iterator[int]:
    """``hl-d365 webhook serve --read-timeout 1s`` on a free loopback port."""
    port = free_port()
    process = start_receiver(tmp_path / "data", port, "--read-timeout", f"{READ_TIMEOUT}s")
    try:
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def _open(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.settimeout(READ_TIMEOUT * 10)  # a hang shows as a failed test, not a stuck one
    return connection


def _read_until_closed(connection: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received, time.monotonic()


def _headers(body_length: int, signature: str = "0" * 128) -> bytes:
    return (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
        f"X-GP-Signature: {signature}\r\nContent-Length: {body_length}\r\n\r\n"
    ).encode()


def test_a_body_shorter_than_its_content_length_times_out_with_408_and_a_closed_connection(
    real_receiver: int, notifications: dict[str, dict]
) -> None:
    body, signature = signed_body(notifications["payment_transactions"])
    with _open(real_receiver) as connection:
        started = time.monotonic()
        connection.sendall(_headers(len(body) + 500, signature) + body)
        answer, closed_at = _read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"reason":"read_timeout"' in answer
    assert READ_TIMEOUT * 0.9 <= closed_at - started < READ_TIMEOUT + 2


def test_a_trickled_body_is_cut_off_at_the_read_timeout_not_at_its_end(
    real_receiver: int, notifications: dict[str, dict]
) -> None:
    """One byte every 100 ms would take minutes; the deadline is for the whole body, so bytes
    that keep coming do not keep the connection."""
    body, signature = signed_body(notifications["payment_transactions"])
    answer = bytearray()
    closed = threading.Event()

    def read(connection: socket.socket) -> None:
        # Read as the bytes come, so the answer is ours before a byte sent after the close
        # makes the server reset the connection (which drops unread data).
        with contextlib.suppress(ConnectionResetError):
            while chunk := connection.recv(65536):
                answer.extend(chunk)
        closed.set()

    with _open(real_receiver) as connection:
        started = time.monotonic()
        reader = threading.Thread(target=read, args=(connection,), daemon=True)
        reader.start()
        connection.sendall(_headers(len(body), signature))
        sent = 0
        with contextlib.suppress(OSError):  # the server may close while we still send
            while sent < len(body) and not answer and time.monotonic() - started < 10:
                connection.sendall(body[sent : sent + 1])
                sent += 1
                time.sleep(0.1)
        assert closed.wait(10)
        closed_at = time.monotonic()
    assert sent < len(body)
    assert bytes(answer).startswith(b"HTTP/1.1 408 "), bytes(answer[:200])
    assert closed_at - started < READ_TIMEOUT + 2


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /webhooks/heartland HTTP/1.1\r\nHost: rec"],
    ids=["nothing", "half the headers"],
)
def test_a_connection_that_never_finishes_its_headers_is_closed_and_others_are_served(
    real_receiver: int, notifications: dict[str, dict], sent: bytes
) -> None:
    started = time.monotonic()
    held = [_open(real_receiver) for _ in range(20)]
    try:
        for connection in held:
            connection.sendall(sent)
        body, signature = signed_body(notifications["settlement_batches"])
        response = httpx.post(
            f"http://127.0.0.1:{real_receiver}{WEBHOOK_PATH}",
            content=body,
            headers={"X-GP-Signature": signature},
            timeout=READ_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        closings = [_read_until_closed(connection) for connection in held]
    finally:
        for connection in held:
            connection.close()
    assert all(answer == b"" for answer, _ in closings)
    assert max(closed_at for _, closed_at in closings) - started < READ_TIMEOUT + 2


@pytest.mark.parametrize("absurd", ["9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z"])
def test_the_pull_lands_a_row_whose_time_overflows_the_calendar_for_quarantine(
    clean_day: dict[str, dict], zone: LandingZone, tmp_path: Path, absurd: str
) -> None:
    """A report row dated year 9999 or 0001 must not crash the end-of-day pull (its business day
    overflows the calendar): it lands flagged on the first requested day, like any row the pull
    cannot place, so the raw layer quarantines it and conservation counts it."""
    from hl_d365_assets.heartland.events import StoreZones
    from hl_d365_assets.heartland.pull import PullReport, _land_page

    row = {**clean_day["payment_transactions"]["payload"], "time_created": absurd}
    pulled = LandingZone(tmp_path / "pulled")
    report = PullReport(requested_days=[DAY.isoformat()])
    zones = StoreZones.from_mappings(PROJECT_ROOT / "mappings", "America/New_York")
    with LandingWriter(pulled, producer="test", max_segment_age_seconds=float("inf")) as writer:
        _land_page(
            writer,
            "payment_transactions",
            [row],
            {DAY.isoformat()},
            zones,
            "2026-11-20T07:00:00Z",
            report,
        )
    assert report.flagged["payment_transactions"] == 1
    [segment] = pulled.segments("heartland", "payment_transactions", DAY)
    [line] = [json.loads(text) for text in segment.read_text().splitlines()]
    assert line["receiver_problem"].startswith("schema_violation: API row from the end-of-day pull")
