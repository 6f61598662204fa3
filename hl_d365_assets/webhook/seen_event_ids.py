"""Redeliveries: the event ids already landed, so a redelivery is counted, not landed again.

The seen ids live in memory and in an append-only journal,
``<data_dir>/webhook/seen_event_ids.journal`` (one ``<received_at epoch ms> <json id>`` line per
landed event), written and fsynced in the same group commit as the landing lines, after them.
The journal keeps the ids received within ``max_event_age + max_clock_skew`` (a later
redelivery is stale anyway, so it lands quarantined): it is compacted to them at every start and
every hour. At start the ids of ``webhook`` segments modified since the journal's last write are
added back, because a crash between the segment fsync and the journal fsync leaves landed lines
whose ids were never journaled (nor acknowledged), and their redelivery must still count as a
duplicate. Without a journal (first start, or lost) every ``webhook`` segment created within the
window is read instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hl_d365_assets.landing import SEGMENT_NAME, SEGMENT_SUFFIX, LandingZone, fsync_dir
from hl_d365_assets.webhook.config import D365_SOURCE, PRODUCER, REFUSALS_ENTITY, SOURCE

JOURNAL_NAME = "seen_event_ids.journal"
JOURNAL_MTIME_SLACK_SECONDS = 5.0
"""Segments modified this long before the journal's last write are re-read at start too."""


class SeenEventIds:
    """Event ids landed within the retention window: a dict in memory, a journal on disk."""

    def __init__(self, path: Path, received_ms: dict[str, int]) -> None:
        self.path = path
        self._received_ms = received_ms
        self._journal = open(path, "ab")  # noqa: SIM115 - closed in close()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._received_ms

    def __len__(self) -> int:
        return len(self._received_ms)

    @classmethod
    def load(
        cls, path: Path, zone: LandingZone, retention: timedelta, now: datetime
    ) -> SeenEventIds:
        """Compact the journal to the retention window and add ids it may have missed."""
        cutoff_ms = epoch_ms(now - retention)
        received_ms: dict[str, int] = {}
        if path.exists():
            for line in path.read_bytes().splitlines():
                parsed = _journal_entry(line)
                if parsed and parsed[1] >= cutoff_ms:
                    received_ms[parsed[0]] = max(parsed[1], received_ms.get(parsed[0], 0))
            since_mtime = path.stat().st_mtime - JOURNAL_MTIME_SLACK_SECONDS
        else:
            since_mtime = None
        for segment in _producer_segments(zone, PRODUCER):
            if since_mtime is not None:
                if segment.stat().st_mtime < since_mtime:
                    continue
            elif _segment_created_ms(segment) < cutoff_ms:
                continue
            for event_id, ms in _segment_ids(segment):
                if ms >= cutoff_ms:
                    received_ms[event_id] = max(ms, received_ms.get(event_id, 0))

        path.parent.mkdir(parents=True, exist_ok=True)
        _rewrite_journal(path, received_ms)
        return cls(path, received_ms)

    def compact(self, cutoff_ms: int) -> None:
        """Forget ids received before ``cutoff_ms``; the journal is replaced atomically."""
        self._received_ms = {i: ms for i, ms in self._received_ms.items() if ms >= cutoff_ms}
        self._journal.close()
        _rewrite_journal(self.path, self._received_ms)
        self._journal = open(self.path, "ab")  # noqa: SIM115 - closed in close()

    def record(self, landed: Iterable[tuple[str, int]]) -> None:
        """Journal ids whose lines are already fsynced; durable when this returns."""
        entries = list(landed)
        if not entries:
            return
        self._journal.write(b"".join(_journal_line(i, ms) for i, ms in entries))
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self._received_ms.update(entries)

    def close(self) -> None:
        self._journal.close()


def _rewrite_journal(path: Path, received_ms: dict[str, int]) -> None:
    compacted = path.with_name(f".{path.name}.tmp")
    with open(compacted, "wb") as handle:
        handle.write(b"".join(_journal_line(i, ms) for i, ms in received_ms.items()))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(compacted, path)
    fsync_dir(path.parent)


def _journal_line(event_id: str, received_ms: int) -> bytes:
    return f"{received_ms} {json.dumps(event_id)}\n".encode()


def _journal_entry(line: bytes) -> tuple[str, int] | None:
    """A journal line; None for the partial last line a crash can leave."""
    stamp, _, raw_id = line.partition(b" ")
    try:
        event_id = json.loads(raw_id)
        return (event_id, int(stamp)) if isinstance(event_id, str) else None
    except ValueError:
        return None


def _producer_segments(zone: LandingZone, producer: str) -> list[Path]:
    """The producer's event segments; its refusal counts carry ids no delivery can repeat."""
    return sorted(
        path
        for source in (SOURCE, D365_SOURCE)
        for path in zone.root.glob(f"{source}/*/business_date=*/*-{producer}-*{SEGMENT_SUFFIX}")
        if path.parts[-3] != REFUSALS_ENTITY
    )


def _segment_created_ms(segment: Path) -> int:
    match = SEGMENT_NAME.match(segment.name)
    if match is None:
        return 0
    created = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return epoch_ms(created)


def _segment_ids(segment: Path) -> Iterable[tuple[str, int]]:
    with segment.open("rb") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                received = datetime.fromisoformat(record["received_at"])
                yield record["event_id"], epoch_ms(received)
            except (ValueError, KeyError, TypeError):
                continue


def epoch_ms(moment: datetime) -> int:
    """The journal's time unit; receipt times are compared in it against the retention cutoff."""
    return int(moment.timestamp() * 1000)
