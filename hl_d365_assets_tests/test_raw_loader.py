"""Bad input at the raw layer: every kind gets a reason, is counted, and never fails the day."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.retail_landing import land_retail_store
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.independent_card_scan import card_numbers_in
from hl_d365_assets_tests.retail_days import envelope_line

DAY = date(2026, 11, 19)
SOURCES = {
    "payment_transactions": "heartland",
    "settlement_batches": "heartland",
    "tickets": "heartland_retail",
}
"""The entities landed per sandbox day, by source: POS tickets come from Heartland Retail."""


@pytest.fixture(scope="module")
def landed_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small clean sandbox day, its POS tickets landed by the real Heartland Retail pull,
    landed once per file: the same seed lands the same lines, so each test copies this landing
    zone (clean_day) rather than generating and pulling the day again (0.6 s of CPU a test)."""
    settings = make_settings(tmp_path_factory.mktemp("raw_loader_day") / "data")
    zone = LandingZone(settings.landing_dir)
    report = generate(
        zone,
        [DAY],
        SandboxConfig(
            seed=5, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
        ),
    )
    land_retail_store(
        zone,
        report.retail_store_dir,
        mappings_dir=settings.mappings_dir,
        merchant_timezone=settings.merchant_timezone,
        snapshot_day=DAY,
        entities=("tickets",),
    )
    return zone.root


@pytest.fixture
def clean_day(landed_day: Path, zone: LandingZone) -> dict[str, dict]:
    """This test's landing zone holding the small clean day; returns a sample envelope of each
    entity (Retail money as Decimal, as the API wrote it)."""
    shutil.copytree(landed_day, zone.root, dirs_exist_ok=True)
    return {
        entity: json.loads(
            zone.segments(source, entity, DAY)[0].read_text().splitlines()[0],
            parse_float=Decimal,
        )
        for entity, source in SOURCES.items()
    }


@pytest.fixture
def conn(settings: Settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(connection)
    yield connection
    connection.close()


def _land(zone: LandingZone, entity: str, lines: list[str]) -> Path:
    with LandingWriter(zone, "test") as writer:
        writer.append_lines(SOURCES[entity], entity, DAY, lines)
    return writer.committed[-1]


def _land_bytes(zone: LandingZone, entity: str, data: bytes) -> Path:
    path = zone.day_dir("heartland", entity, DAY) / "20991231T000000000000Z-test-corrupt.ndjson"
    path.write_bytes(data)
    return path


def _variant(envelope: dict, event_id: str, **payload_changes) -> str:
    payload = {**envelope["payload"], **payload_changes}
    return json.dumps({**envelope, "event_id": event_id, "payload": payload}, separators=(",", ":"))


def _retail_variant(envelope: dict, event_id: str, **payload_changes) -> str:
    """A Retail ticket envelope with changed payload fields, numbers written with exactly their
    digits (never through a float)."""
    return envelope_line("tickets", {**envelope["payload"], **payload_changes}, event=event_id)


def _load(conn, zone: LandingZone, entity: str):
    source = SOURCES[entity]
    [day] = load_entity(conn, entity, zone.segments(source, entity, DAY), [DAY], source=source)
    assert day.landed == day.loaded + day.duplicates + day.quarantined
    return day


def _reasons(conn, entity: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT event_id, reason_code FROM ops.quarantine WHERE source = $s AND entity = $e",
        {"s": SOURCES[entity], "e": entity},
    ).fetchall()
    return dict(rows)


def test_bad_transactions_are_quarantined_each_with_its_reason(conn, zone, clean_day) -> None:
    sample = clean_day["payment_transactions"]
    before = _load(conn, zone, "payment_transactions")
    _land(
        zone,
        "payment_transactions",
        [
            _variant(sample, "EVT_NEG", id="TRN_NEG", amount="-1500"),
            _variant(sample, "EVT_DEC", id="TRN_DEC", amount="15.00"),
            _variant(sample, "EVT_TYPE", id="TRN_TYPE", type="CHARGEBACK"),
            _variant(sample, "EVT_CUR", id="TRN_CUR", currency="usd"),
            _variant(sample, "EVT_TIME", id="TRN_TIME", time_created="yesterday"),
            _variant(sample, "EVT_PAN", id="TRN_PAN", description="card 5555 5555 5555 4444 pls"),
            _variant(sample, "EVT_BIG", id="TRN_BIG", description="x" * 1_100_000),
            json.dumps({**sample, "event_id": ""}, separators=(",", ":")),
            '{"event_id":"EVT_CUT","event_type":"transaction.captured","payload":{"id":"TRN_',
        ],
    )
    after = _load(conn, zone, "payment_transactions")
    assert after.loaded == before.loaded
    assert after.quarantined == 9
    reasons = _reasons(conn, "payment_transactions")
    assert reasons["EVT_NEG"] == "negative_amount"
    assert reasons["EVT_DEC"] == "invalid_amount"
    assert reasons["EVT_TYPE"] == "schema_violation"
    assert reasons["EVT_CUR"] == "schema_violation"
    assert reasons["EVT_TIME"] == "invalid_timestamp"
    assert reasons["EVT_PAN"] == "card_number_detected"
    assert reasons["EVT_BIG"] == "oversized_record"
    assert reasons["EVT_CUT"] == "malformed_json"
    assert reasons[None] == "missing_event_id"


def test_reason_details_say_what_was_wrong_and_where(conn, zone, clean_day) -> None:
    sample = clean_day["payment_transactions"]
    _land(zone, "payment_transactions", [_variant(sample, "EVT_NEG", id="TRN_NEG", amount="-1500")])
    _load(conn, zone, "payment_transactions")
    [(segment, line, detail, payload)] = conn.execute(
        "SELECT segment_path, line_number, reason_detail, masked_payload FROM ops.quarantine"
    ).fetchall()
    assert 'payload.amount "-1500"' in detail
    assert json.loads(Path(segment).read_text().splitlines()[line - 1])["event_id"] == "EVT_NEG"
    assert json.loads(payload)["payload"]["id"] == "TRN_NEG"


def test_bad_pos_ticket_amounts_and_quantities_are_diagnosed(conn, zone, clean_day) -> None:
    """Retail sends signed money (a return is negative), so a negative amount is no defect
    here; an amount or quantity that is not a number, a cent fraction, an unknown line type and
    a ticket without lines are."""
    ticket = clean_day["tickets"]
    first_line = ticket["payload"]["lines"][0]
    _land(
        zone,
        "tickets",
        [
            _retail_variant(
                ticket, "HR_T_AMT", id=9001, lines=[{**first_line, "unit_price": "ten"}]
            ),
            _retail_variant(ticket, "HR_T_DEC", id=9002, total=Decimal("12.505")),
            _retail_variant(ticket, "HR_T_QTY", id=9003, lines=[{**first_line, "qty": "two"}]),
            _retail_variant(
                ticket, "HR_T_TYPE", id=9004, lines=[{**first_line, "type": "ExchangeLine"}]
            ),
            _retail_variant(ticket, "HR_T_NOLINES", id=9005, lines=[]),
        ],
    )
    _load(conn, zone, "tickets")
    reasons = _reasons(conn, "tickets")
    assert reasons == {
        "HR_T_AMT": "invalid_amount",
        "HR_T_DEC": "excess_precision",
        "HR_T_QTY": "invalid_quantity",
        "HR_T_TYPE": "schema_violation",
        "HR_T_NOLINES": "schema_violation",
    }
    [(payments,)] = conn.execute(
        "SELECT payments FROM raw.retail_tickets WHERE event_id = $e", {"e": ticket["event_id"]}
    ).fetchall()
    assert payments
    assert [p["amount"] for p in payments] == [p["amount"] for p in ticket["payload"]["payments"]]
    assert all(isinstance(p["amount"], Decimal) for p in payments)


def test_a_segment_that_is_not_utf8_loses_only_its_bad_lines(conn, zone, clean_day) -> None:
    sample = clean_day["payment_transactions"]
    good = _variant(sample, "EVT_GOOD", id="TRN_GOOD").encode()
    bad = _variant(sample, "EVT_BAD", id="TRN_BAD").encode().replace(b'"CP"', b'"C\xff"')
    corrupt = _land_bytes(zone, "payment_transactions", good + b"\n" + bad + b"\n")
    day = _load(conn, zone, "payment_transactions")
    assert day.quarantined == 1
    assert conn.execute(
        "SELECT count(*) FROM raw.payment_transactions WHERE event_id = 'EVT_GOOD'"
    ).fetchall() == [(1,)]
    [(reason, line, payload)] = conn.execute(
        "SELECT reason_code, line_number, masked_payload FROM ops.quarantine WHERE segment_path = $s",
        {"s": str(corrupt)},
    ).fetchall()
    assert (reason, line) == ("invalid_encoding", 2)
    assert "\\xff" in payload


@pytest.mark.parametrize(
    ("raw_bytes", "reason"),
    [
        (b"\n", "malformed_json"),
        (b"\r\n", None),
        (b"\x01\n", "malformed_json"),
    ],
    ids=["blank line", "CRLF line ending", "control character"],
)
def test_odd_bytes_in_a_segment_never_fail_the_day(
    conn, zone, clean_day, raw_bytes, reason
) -> None:
    sample = clean_day["payment_transactions"]
    line = _variant(sample, "EVT_ODD", id="TRN_ODD").encode()
    data = line + b"\n" + raw_bytes if raw_bytes != b"\r\n" else line + b"\r\n"
    if raw_bytes == b"\x01\n":
        data = line[:-1] + b"\x01}\n"
    _land_bytes(zone, "payment_transactions", data)
    day = _load(conn, zone, "payment_transactions")
    quarantined = conn.execute("SELECT reason_code FROM ops.quarantine").fetchall()
    if reason is None:
        assert quarantined == []
        assert conn.execute(
            "SELECT count(*) FROM raw.payment_transactions WHERE event_id = 'EVT_ODD'"
        ).fetchall() == [(1,)]
    else:
        assert (reason,) in quarantined
    assert day.loaded >= 1


def test_line_numbers_point_at_the_landed_line(conn, zone, clean_day) -> None:
    _load(conn, zone, "tickets")
    rows = conn.execute(
        "SELECT segment_path, line_number, event_id FROM raw.retail_tickets"
    ).fetchall()
    assert rows
    files: dict[str, list[str]] = {}
    for segment, line, event_id in rows:
        lines = files.setdefault(segment, Path(segment).read_text().splitlines())
        assert json.loads(lines[line - 1])["event_id"] == event_id


@pytest.mark.parametrize("entity", list(SOURCES))
def test_an_event_the_receiver_flagged_is_quarantined_with_the_receivers_reason(
    conn, zone, clean_day, entity
) -> None:
    sample = clean_day[entity]
    problem = "stale_event: 2026-11-01T10:00:00Z is 432h before receipt; window -72h/+5m"
    before = _load(conn, zone, entity)
    flagged = {**sample, "event_id": "EVT_STALE", "receiver_problem": problem}
    _land(zone, entity, [json.dumps(flagged, separators=(",", ":"), default=str)])

    after = _load(conn, zone, entity)

    assert (after.loaded, after.quarantined) == (before.loaded, before.quarantined + 1)
    [(reason, detail)] = conn.execute(
        "SELECT reason_code, reason_detail FROM ops.quarantine WHERE event_id = 'EVT_STALE'"
    ).fetchall()
    assert reason == "stale_event"
    assert problem in detail


def test_a_bad_event_delivered_twice_is_quarantined_once_and_counted_as_a_duplicate(
    conn, zone, clean_day
) -> None:
    """The live day's case: the webhook delivers a bad event, the end-of-day pull brings it
    again. One event, so one quarantined line; the second delivery is a duplicate of it."""
    sample = clean_day["payment_transactions"]
    before = _load(conn, zone, "payment_transactions")
    bad = [
        _variant(sample, "EVT_NEG", id="TRN_NEG", amount="-1500"),
        _variant(sample, "EVT_PAN", id="TRN_PAN", description="card 5555 5555 5555 4444 pls"),
    ]
    by_webhook = _land(zone, "payment_transactions", bad)
    _land(zone, "payment_transactions", bad)  # the pull, later
    after = _load(conn, zone, "payment_transactions")
    assert after.quarantined == 2
    assert after.duplicates == before.duplicates + 2
    assert after.loaded == before.loaded
    assert _reasons(conn, "payment_transactions") == {
        "EVT_NEG": "negative_amount",
        "EVT_PAN": "card_number_detected",
    }
    kept = conn.execute(
        "SELECT event_id, loaded_segment_path, loaded_line_number FROM ops.duplicate_events "
        "WHERE event_id IN ('EVT_NEG', 'EVT_PAN') ORDER BY event_id"
    ).fetchall()
    assert kept == [("EVT_NEG", str(by_webhook), 1), ("EVT_PAN", str(by_webhook), 2)]


def test_a_cut_line_carrying_card_numbers_delivered_twice_is_quarantined_once_masked(
    conn, zone, clean_day
) -> None:
    """A line that is malformed (cut) and holds PANs, its event id among them, sent twice:
    malformed_json wins as its reason, the second delivery is a duplicate of it, and neither the
    quarantine nor the duplicate ledger keeps a digit of either PAN beyond first six and last
    four (the ranking reads the cut line's id from its text; stage_ranked_events.sql)."""
    sample = clean_day["payment_transactions"]
    before = _load(conn, zone, "payment_transactions")
    cut = _variant(sample, "4111 1111 1111 1111", id="TRN_CUT", description="5555555555554444")
    cut = cut[: cut.index("5555555555554444") + 20]
    by_webhook = _land(zone, "payment_transactions", [cut])
    _land(zone, "payment_transactions", [cut])
    after = _load(conn, zone, "payment_transactions")
    assert after.quarantined == 1
    assert after.duplicates == before.duplicates + 1
    assert after.loaded == before.loaded
    [(event_id, reason, payload)] = conn.execute(
        "SELECT event_id, reason_code, masked_payload FROM ops.quarantine"
    ).fetchall()
    assert (event_id, reason) == ("411111XXXXXX1111", "malformed_json")
    assert "555555XXXXXX4444" in payload and "5555555555554444" not in payload
    duplicates = conn.execute(
        "SELECT event_id, loaded_segment_path, loaded_line_number FROM ops.duplicate_events "
        "WHERE loaded_segment_path = $path",
        {"path": str(by_webhook)},
    ).fetchall()
    assert duplicates == [("411111XXXXXX1111", str(by_webhook), 1)]
    for table in ("ops.quarantine", "ops.duplicate_events"):
        [(stored,)] = conn.execute(
            f"SELECT string_agg(t::VARCHAR, ' ') FROM {table} AS t"
        ).fetchall()
        assert "4111" in stored and not card_numbers_in(stored)


def test_a_bad_copy_of_an_event_that_also_arrived_good_stays_quarantined(
    conn, zone, clean_day
) -> None:
    sample = clean_day["payment_transactions"]
    before = _load(conn, zone, "payment_transactions")
    _land(zone, "payment_transactions", [_variant(sample, "EVT_TWICE", id="TRN_TWICE")])
    _land(
        zone,
        "payment_transactions",
        [_variant(sample, "EVT_TWICE", id="TRN_TWICE", amount="-1500")] * 2,
    )
    after = _load(conn, zone, "payment_transactions")
    assert after.loaded == before.loaded + 1
    assert after.quarantined == 2
    assert after.duplicates == before.duplicates
