"""Bad input at the raw layer: every kind gets a reason, is counted, and never fails the day."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import ensure_schema

DAY = date(2026, 11, 19)


@pytest.fixture
def clean_day(settings: Settings, zone: LandingZone) -> dict[str, dict]:
    """One small clean sandbox day; returns a sample envelope of each entity."""
    generate(
        zone,
        [DAY],
        SandboxConfig(
            seed=5, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
        ),
    )
    return {
        entity: json.loads(zone.segments("heartland", entity, DAY)[0].read_text().splitlines()[0])
        for entity in ("payment_transactions", "pos_tickets", "settlement_batches")
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
        writer.append_lines("heartland", entity, DAY, lines)
    return writer.committed[-1]


def _land_bytes(zone: LandingZone, entity: str, data: bytes) -> Path:
    path = zone.day_dir("heartland", entity, DAY) / "20991231T000000000000Z-test-corrupt.ndjson"
    path.write_bytes(data)
    return path


def _variant(envelope: dict, event_id: str, **payload_changes) -> str:
    payload = {**envelope["payload"], **payload_changes}
    return json.dumps({**envelope, "event_id": event_id, "payload": payload}, separators=(",", ":"))


def _load(conn, zone: LandingZone, entity: str):
    [day] = load_entity(conn, entity, zone.segments("heartland", entity, DAY), [DAY])
    assert day.landed == day.loaded + day.duplicates + day.quarantined
    return day


def _reasons(conn, entity: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT event_id, reason_code FROM ops.quarantine WHERE entity = $e", {"e": entity}
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
    ticket = clean_day["pos_tickets"]
    first_line = ticket["payload"]["lines"][0]
    _land(
        zone,
        "pos_tickets",
        [
            _variant(
                ticket, "EVT_T_NEG", ticket_id="T-NEG", lines=[{**first_line, "unit_price": "-100"}]
            ),
            _variant(ticket, "EVT_T_DEC", ticket_id="T-DEC", total="12.5"),
            _variant(ticket, "EVT_T_QTY", ticket_id="T-QTY", lines=[{**first_line, "quantity": 0}]),
            _variant(ticket, "EVT_T_TYPE", ticket_id="T-TYPE", ticket_type="EXCHANGE"),
            _variant(ticket, "EVT_T_NOLINES", ticket_id="T-NOLINES", lines=[]),
        ],
    )
    _load(conn, zone, "pos_tickets")
    reasons = _reasons(conn, "pos_tickets")
    assert reasons == {
        "EVT_T_NEG": "negative_amount",
        "EVT_T_DEC": "invalid_amount",
        "EVT_T_QTY": "schema_violation",
        "EVT_T_TYPE": "schema_violation",
        "EVT_T_NOLINES": "schema_violation",
    }
    [(tenders,)] = conn.execute(
        "SELECT tenders FROM raw.pos_tickets WHERE event_id = $e", {"e": ticket["event_id"]}
    ).fetchall()
    assert all(isinstance(t["amount"], int) for t in tenders)


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
    _load(conn, zone, "pos_tickets")
    rows = conn.execute(
        "SELECT segment_path, line_number, event_id FROM raw.pos_tickets"
    ).fetchall()
    files: dict[str, list[str]] = {}
    for segment, line, event_id in rows:
        lines = files.setdefault(segment, Path(segment).read_text().splitlines())
        assert json.loads(lines[line - 1])["event_id"] == event_id


@pytest.mark.parametrize("entity", ["payment_transactions", "settlement_batches", "pos_tickets"])
def test_an_event_the_receiver_flagged_is_quarantined_with_the_receivers_reason(
    conn, zone, clean_day, entity
) -> None:
    sample = clean_day[entity]
    problem = "stale_event: 2026-11-01T10:00:00Z is 432h before receipt; window -72h/+5m"
    before = _load(conn, zone, entity)
    flagged = {**sample, "event_id": "EVT_STALE", "receiver_problem": problem}
    _land(zone, entity, [json.dumps(flagged, separators=(",", ":"))])

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
