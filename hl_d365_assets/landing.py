"""The landing zone: the single door through which every record enters the warehouse.

Layout (DESIGN.md, "Landing zone")::

    <root>/<source>/<entity>/business_date=YYYY-MM-DD/<segment-id>.ndjson

Each line of a segment is one event envelope, compact JSON::

    {"event_id": "...", "event_type": "...", "received_at": "2026-11-20T19:03:23.001Z", "payload": {...}}

A segment is written under a hidden temporary name, flushed and fsynced, then renamed into place,
so a reader listing ``*.ndjson`` only ever sees complete, immutable files. Segment ids sort by
creation time, so "what is new since the cursor" is a string comparison. Every producer (sandbox
generator, webhook receiver, API pull) writes through :class:`LandingWriter`; nothing else
creates files here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

SEGMENT_SUFFIX = ".ndjson"
DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_SEGMENT_AGE_SECONDS = 5.0


def new_segment_id(producer: str) -> str:
    """Time-ordered, collision-free: UTC microsecond timestamp, producer, random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{producer}-{secrets.token_hex(4)}"


SEGMENT_NAME = re.compile(
    r"^(?P<stamp>\d{8}T\d{12}Z)-(?P<producer>.+)-[0-9a-f]{8}" + re.escape(SEGMENT_SUFFIX) + "$"
)
"""Readers take a segment's producer and creation time from its name; parsed next to where the
name is made so the two change together."""


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(
    event_id: str,
    event_type: str,
    payload: dict | None = None,
    received_at: str | None = None,
    receiver_problem: str | None = None,
    *,
    payload_text: str | None = None,
) -> str:
    """One landing line. Compact separators keep segments small and byte-stable.

    ``receiver_problem`` (``"<reason_code>: <detail>"``) is set by a producer that accepted an
    event it must not load, e.g. the webhook receiver for an event outside its time window; the
    raw layer quarantines such a line with that reason, so it is counted, never dropped.

    ``payload_text`` is a payload already serialised as compact JSON (one line), spliced in as
    it is: a source whose numbers must keep the digits it sent (Heartland Retail's money is a
    JSON number) is never parsed into floats and written back.
    """
    line = {
        "event_id": event_id,
        "event_type": event_type,
        "received_at": received_at or utc_now_iso(),
    }
    if payload_text is None:
        line["payload"] = payload
        if receiver_problem:
            line["receiver_problem"] = receiver_problem
        return json.dumps(line, separators=(",", ":"), ensure_ascii=False)
    if "\n" in payload_text:
        raise ValueError("payload_text must be one line of compact JSON")
    head = json.dumps(line, separators=(",", ":"), ensure_ascii=False)[:-1]
    tail = (
        ',"receiver_problem":' + json.dumps(receiver_problem, ensure_ascii=False)
        if receiver_problem
        else ""
    )
    return head + ',"payload":' + payload_text + tail + "}"


@dataclass(frozen=True)
class LandingZone:
    root: Path

    def day_dir(self, source: str, entity: str, business_date: date | str) -> Path:
        return self.root / source / entity / f"business_date={_iso(business_date)}"

    def segments(self, source: str, entity: str, business_date: date | str) -> list[Path]:
        """Completed segments of one entity and day, oldest first."""
        day = self.day_dir(source, entity, business_date)
        if not day.is_dir():
            return []
        return sorted(
            p
            for p in day.iterdir()
            if p.name.endswith(SEGMENT_SUFFIX) and not p.name.startswith(".")
        )

    def segment_glob(self, source: str, entity: str, business_date: date | str) -> str:
        return str(self.day_dir(source, entity, business_date) / f"*{SEGMENT_SUFFIX}")

    def business_dates(self, source: str, entity: str) -> list[str]:
        base = self.root / source / entity
        if not base.is_dir():
            return []
        return sorted(
            p.name.split("=", 1)[1] for p in base.iterdir() if p.name.startswith("business_date=")
        )


class _OpenSegment:
    def __init__(self, final_path: Path) -> None:
        self.final_path = final_path
        self.tmp_path = final_path.with_name(f".{final_path.name}.tmp")
        self.handle = open(self.tmp_path, "wb")  # noqa: SIM115 - closed in commit()
        self.bytes = 0
        self.lines = 0
        self.opened = time.monotonic()

    def write(self, data: bytes, lines: int) -> None:
        self.handle.write(data)
        self.bytes += len(data)
        self.lines += lines

    def sync(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def commit(self) -> Path:
        self.sync()
        self.handle.close()
        os.replace(self.tmp_path, self.final_path)
        fsync_dir(self.final_path.parent)
        return self.final_path


@dataclass
class LandingWriter:
    """Appends envelopes to the current segment of each (source, entity, day), rotating by size/age.

    Use as a context manager; ``close()`` commits every open segment. A crash before commit
    leaves only a hidden ``.tmp`` file, which no reader lists. A producer that acknowledges
    lines before their segment is committed (the webhook receiver) calls ``sync()`` first, and
    after a crash commits the leftover ``.tmp`` files itself.
    """

    zone: LandingZone
    producer: str
    max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES
    max_segment_age_seconds: float = DEFAULT_MAX_SEGMENT_AGE_SECONDS
    committed: list[Path] = field(default_factory=list)
    _open: dict[tuple[str, str, str], _OpenSegment] = field(default_factory=dict)
    _unsynced_dirs: set[Path] = field(default_factory=set)

    def __enter__(self) -> LandingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, source: str, entity: str, business_date: date | str, line: str) -> None:
        self.append_lines(source, entity, business_date, (line,))

    def append_lines(
        self, source: str, entity: str, business_date: date | str, lines: Iterable[str]
    ) -> None:
        """Append pre-serialised envelope lines (no trailing newline) in bulk."""
        self._append_chunks(source, entity, business_date, _chunks(lines, self.max_segment_bytes))

    def append_encoded(
        self,
        source: str,
        entity: str,
        business_date: date | str,
        line_bytes: Sequence[int],
        encoded: Callable[[int, int], bytes | memoryview],
    ) -> None:
        """Append lines the caller encodes itself: ``line_bytes`` the UTF-8 length of each line
        with its newline, ``encoded(i, j)`` lines ``i`` to ``j - 1``, each ending in a newline,
        back to back. The segments are byte for byte what :meth:`append_lines` writes for the
        same lines, without a Python string per line (a payroll register's 300,000 lines come
        from Arrow, see payroll_landing.py), and no more than a chunk is encoded at a time."""
        self._append_chunks(
            source,
            entity,
            business_date,
            _encoded_chunks(line_bytes, encoded, self.max_segment_bytes),
        )

    def _append_chunks(
        self, source: str, entity: str, business_date: date | str, chunks: Iterable[tuple]
    ) -> None:
        key = (source, entity, _iso(business_date))
        for chunk, count in chunks:
            segment = self._open.get(key)
            if (
                segment is not None
                and segment.bytes
                and segment.bytes + len(chunk) > self.max_segment_bytes
            ):
                self._commit(key)
                segment = None
            if segment is None:
                segment = self._start(key)
            segment.write(chunk, count)

    def rotate_stale(self) -> list[Path]:
        """Commit segments older than the age limit, so a sensor sees them within seconds."""
        now = time.monotonic()
        stale = [k for k, s in self._open.items() if now - s.opened >= self.max_segment_age_seconds]
        return [self._commit(k) for k in stale]

    def close(self) -> list[Path]:
        return [self._commit(k) for k in list(self._open)]

    def sync(self, keys: Iterable[tuple[str, str, str]] | None = None) -> None:
        """Make the open segments of ``keys`` (all when None) durable without committing them.

        Their lines stay in the hidden ``.tmp`` files, invisible to readers, but survive a power
        loss, not just a killed process: the directories that gained a ``.tmp`` file or were
        created since the last sync are fsynced too, deepest first, so each new entry is on disk
        before the entry of the directory holding it.
        """
        chosen = self._open if keys is None else {k: self._open[k] for k in keys if k in self._open}
        for segment in chosen.values():
            segment.sync()
        for directory in sorted(self._unsynced_dirs, key=lambda p: len(p.parts), reverse=True):
            fsync_dir(directory)
        self._unsynced_dirs.clear()

    def _start(self, key: tuple[str, str, str]) -> _OpenSegment:
        source, entity, day = key
        directory = self.zone.day_dir(source, entity, day)
        missing = directory
        while not missing.exists() and missing != missing.parent:
            self._unsynced_dirs.add(missing.parent)
            missing = missing.parent
        directory.mkdir(parents=True, exist_ok=True)
        segment = _OpenSegment(directory / f"{new_segment_id(self.producer)}{SEGMENT_SUFFIX}")
        self._open[key] = segment
        self._unsynced_dirs.add(directory)
        return segment

    def _commit(self, key: tuple[str, str, str]) -> Path:
        segment = self._open.pop(key)
        if segment.lines == 0:
            segment.handle.close()
            segment.tmp_path.unlink()
            return segment.final_path
        path = segment.commit()
        self.committed.append(path)
        return path


def _chunks(lines: Iterable[str], max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Group lines into byte chunks no larger than a segment, so rotation happens between lines."""
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode() + b"\n"
        if buffer and size + len(data) > min(max_bytes, 8 * 1024 * 1024):
            yield b"".join(buffer), len(buffer)
            buffer, size = [], 0
        buffer.append(data)
        size += len(data)
    if buffer:
        yield b"".join(buffer), len(buffer)


def _encoded_chunks(
    line_bytes: Sequence[int], encoded: Callable[[int, int], bytes | memoryview], max_bytes: int
) -> Iterator[tuple[bytes | memoryview, int]]:
    """:func:`_chunks`'s grouping of lines that ``encoded`` turns into bytes a chunk at a time."""
    limit = min(max_bytes, 8 * 1024 * 1024)
    first = size = 0
    for line, length in enumerate(line_bytes):
        if line > first and size + length > limit:
            yield encoded(first, line), line - first
            first, size = line, 0
        size += length
    if len(line_bytes) > first:
        yield encoded(first, len(line_bytes)), len(line_bytes) - first


def fsync_dir(directory: Path) -> None:
    """Persist a directory's entries: a rename or a new file is durable only after this."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _iso(day: date | str) -> str:
    return day if isinstance(day, str) else day.isoformat()
