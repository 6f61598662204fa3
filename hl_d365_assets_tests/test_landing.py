"""The landing zone: the single door, atomic and immutable segments, many events per segment."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hl_d365_assets.landing import LandingWriter, LandingZone, envelope


def _lines(n: int) -> list[str]:
    return [
        envelope(f"EVT_{i}", "transaction.captured", {"id": f"TRN_{i}", "amount": "100"})
        for i in range(n)
    ]


def test_segments_hold_many_events_and_land_under_source_entity_and_day(zone: LandingZone) -> None:
    with LandingWriter(zone, "test") as writer:
        writer.append_lines("heartland", "payment_transactions", "2026-11-20", _lines(50))
    segments = zone.segments("heartland", "payment_transactions", "2026-11-20")
    assert len(segments) == 1
    assert segments[0].parent.name == "business_date=2026-11-20"
    assert segments[0].parent.parent.name == "payment_transactions"
    lines = segments[0].read_text().splitlines()
    assert len(lines) == 50
    assert json.loads(lines[7])["event_id"] == "EVT_7"


def test_an_open_segment_is_invisible_until_committed(zone: LandingZone) -> None:
    writer = LandingWriter(zone, "test")
    writer.append_lines("heartland_retail", "tickets", "2026-11-20", _lines(3))
    assert zone.segments("heartland_retail", "tickets", "2026-11-20") == []
    hidden = list(zone.day_dir("heartland_retail", "tickets", "2026-11-20").iterdir())
    assert len(hidden) == 1 and hidden[0].name.startswith(".") and hidden[0].name.endswith(".tmp")
    writer.close()
    assert len(zone.segments("heartland_retail", "tickets", "2026-11-20")) == 1


def test_a_synced_line_is_on_disk_in_the_hidden_segment_until_close_commits_it(
    zone: LandingZone,
) -> None:
    """A producer may acknowledge a line once ``sync()`` returns, before its segment rotates."""
    writer = LandingWriter(zone, "test")
    (line,) = _lines(1)
    writer.append("heartland_retail", "tickets", "2026-11-20", line)
    writer.sync()
    (hidden,) = zone.day_dir("heartland_retail", "tickets", "2026-11-20").iterdir()
    assert hidden.name.startswith(".") and hidden.name.endswith(".tmp")
    assert hidden.read_text() == line + "\n"
    assert zone.segments("heartland_retail", "tickets", "2026-11-20") == []
    writer.close()
    (segment,) = zone.segments("heartland_retail", "tickets", "2026-11-20")
    assert segment.read_text() == line + "\n"
    assert not hidden.exists()


def test_segments_rotate_by_size_between_lines_never_inside_one(zone: LandingZone) -> None:
    with LandingWriter(zone, "test", max_segment_bytes=4096) as writer:
        writer.append_lines("heartland", "payment_transactions", "2026-11-20", _lines(200))
    segments = zone.segments("heartland", "payment_transactions", "2026-11-20")
    assert len(segments) > 3
    assert all(s.stat().st_size <= 4096 for s in segments)
    events = [json.loads(line)["event_id"] for s in segments for line in s.read_text().splitlines()]
    assert events == [f"EVT_{i}" for i in range(200)]


def test_segments_rotate_by_age_so_readers_see_them_within_seconds(zone: LandingZone) -> None:
    writer = LandingWriter(zone, "test", max_segment_age_seconds=0.0)
    writer.append("heartland", "payment_transactions", "2026-11-20", _lines(1)[0])
    committed = writer.rotate_stale()
    assert committed == zone.segments("heartland", "payment_transactions", "2026-11-20")
    writer.close()


def test_segment_ids_sort_in_creation_order(zone: LandingZone) -> None:
    for batch in range(3):
        with LandingWriter(zone, "test") as writer:
            writer.append(
                "heartland",
                "payment_transactions",
                "2026-11-20",
                _lines(1)[0].replace("EVT_0", f"B{batch}"),
            )
    segments = zone.segments("heartland", "payment_transactions", "2026-11-20")
    assert [json.loads(s.read_text())["event_id"] for s in segments] == ["B0", "B1", "B2"]


def test_committed_segments_are_not_rewritten(zone: LandingZone) -> None:
    with LandingWriter(zone, "test") as writer:
        writer.append_lines("heartland", "payment_transactions", "2026-11-20", _lines(2))
    first = zone.segments("heartland", "payment_transactions", "2026-11-20")[0]
    before = (first.stat().st_ino, first.read_bytes())
    with LandingWriter(zone, "test") as writer:
        writer.append_lines("heartland", "payment_transactions", "2026-11-20", _lines(2))
    assert (first.stat().st_ino, first.read_bytes()) == before
    assert len(zone.segments("heartland", "payment_transactions", "2026-11-20")) == 2


def test_envelope_is_compact_json_with_the_event_fields(tmp_path: Path) -> None:
    line = envelope(
        "EVT_1", "heartland_retail.ticket", {"note": "café"}, received_at="2026-11-20T19:03:23.001Z"
    )
    assert (
        line
        == '{"event_id":"EVT_1","event_type":"heartland_retail.ticket","received_at":"2026-11-20T19:03:23.001Z","payload":{"note":"café"}}'
    )
    assert os.linesep not in line
