"""The Heartland webhook receiver: verify, parse, dedupe and land every notification durably.

``POST /webhooks/heartland`` takes one notification: our envelope form (``{"event_id",
"event_type", "payload"}``) or a bare GP-API resource (see ``heartland/events.py``). Checks run
in this order, and a rejected request writes nothing:

1. size: a ``Content-Length`` above ``max_body_bytes`` is refused before the body is read, and
   the limit is enforced again while the body streams in (chunked or lying senders) -> 413;
2. ``X-GP-Signature``: SHA-512 of the raw body bytes + app key (``heartland/signature.py``),
   compared in constant time on the bytes as received -> 401 when missing or wrong;
3. JSON: UTF-8, a JSON object, no ``NaN``/``Infinity``, no unpaired surrogates -> 400;
4. shape: what ``event_from_body`` and the business-day rule need -> 400 saying what is wrong;
   an event type we do not know -> 422 naming it and the known ones (our documented choice: a
   type added upstream then shows up as failed deliveries at the sender and in our counters,
   rather than being acknowledged and dropped, or landed where no raw table reads it).

An accepted event is acknowledged (200) only once its landing line is fsynced:

- **Replay window.** GP-API signatures carry no timestamp, so a captured notification can be
  replayed forever. An event whose own time is more than ``max_event_age`` (72 h) before receipt
  or more than ``max_clock_skew`` (5 min) after it is still landed, with ``receiver_problem``
  ``"stale_event: …"``; the raw layer quarantines such lines with that reason (counted, never
  dropped).
- **Redeliveries** of an event id already landed are acknowledged as ``duplicate`` and counted,
  not landed again. The seen ids live in memory and in an append-only journal,
  ``<data_dir>/webhook/seen_event_ids.journal`` (one ``<received_at epoch ms> <json id>`` line
  per landed event), written and fsynced in the same group commit as the landing lines, after
  them. The journal keeps the ids received within ``max_event_age + max_clock_skew`` (a later
  redelivery is stale anyway, so it lands quarantined): it is compacted to them at every start
  and every hour. At start the ids of ``webhook`` segments modified since the journal's last
  write are added back, because a crash between the segment fsync and the journal fsync leaves
  landed lines whose ids were never journaled (nor acknowledged), and their redelivery must
  still count as a duplicate. Without a journal (first start, or lost) every ``webhook``
  segment created within the window is read instead.
- **Group commit.** One writer thread owns the :class:`LandingWriter` (producer ``webhook``):
  it drains whatever requests are queued, appends their lines to the current segment of
  ``(heartland, entity, business_date)``, flushes and fsyncs each touched segment once, journals
  the ids, then answers every waiting request. Rotation (by size, and by age every fraction of
  ``max_segment_age_seconds`` so the landing sensor sees completed segments within seconds)
  runs on the same thread. If a write fails, the receiver stops accepting (503) and the server
  exits non-zero: the segment's state is unknown, and the next start recovers it.
- **Recovery.** The writer keeps an open segment under a hidden ``.<name>.tmp`` name until it
  rotates, so a killed receiver leaves acknowledged, fsynced lines there. Before accepting
  traffic, :meth:`WebhookReceiver.start` runs :func:`recover_segments`: every leftover ``.tmp``
  of the ``webhook`` producer is cut back to its last complete line (a partial line was never
  acknowledged) and renamed into place. An exclusive lock on ``<data_dir>/webhook/receiver.lock``
  makes sure no live receiver's open segment is "recovered" under it.

``GET /webhooks/heartland/stats`` returns the counters. Bodies and the app key are never logged.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import queue
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hl_d365_assets.heartland.events import (
    EVENT_TYPES,
    Event,
    EventShapeError,
    StoreZones,
    UnknownEventType,
    event_from_body,
)
from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, verify
from hl_d365_assets.landing import (
    DEFAULT_MAX_SEGMENT_BYTES,
    SEGMENT_SUFFIX,
    LandingWriter,
    LandingZone,
    _fsync_dir,
    _OpenSegment,
    envelope,
)

logger = logging.getLogger("hl_d365_assets.webhook")

SOURCE = "heartland"
PRODUCER = "webhook"
WEBHOOK_PATH = "/webhooks/heartland"
STATS_PATH = f"{WEBHOOK_PATH}/stats"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_EVENT_AGE = timedelta(hours=72)
DEFAULT_MAX_CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_SEGMENT_AGE_SECONDS = 2.0
JOURNAL_NAME = "seen_event_ids.journal"
LOCK_NAME = "receiver.lock"
MAX_BATCH = 4096
JOURNAL_COMPACTION_SECONDS = 3600.0
"""A long-running receiver drops ids older than the retention this often (memory and journal)."""
JOURNAL_MTIME_SLACK_SECONDS = 5.0
"""Segments modified this long before the journal's last write are re-read at start too."""

_SEGMENT_NAME = re.compile(
    r"^(?P<stamp>\d{8}T\d{12}Z)-(?P<producer>.+)-[0-9a-f]{8}" + re.escape(SEGMENT_SUFFIX) + "$"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReceiverConfig:
    landing_dir: Path
    state_dir: Path
    """Where the seen-id journal and the lock live (``<data_dir>/webhook``)."""
    mappings_dir: Path
    merchant_timezone: str
    app_key: str = field(repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_event_age: timedelta = DEFAULT_MAX_EVENT_AGE
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
    max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES
    max_segment_age_seconds: float = DEFAULT_SEGMENT_AGE_SECONDS
    clock: Callable[[], datetime] = field(default=_utc_now, repr=False, compare=False)
    """Receipt time (aware, UTC); tests pin it to put sandbox days inside or outside the window."""

    @classmethod
    def from_settings(cls, settings, app_key: str, **options) -> ReceiverConfig:
        return cls(
            landing_dir=settings.landing_dir,
            state_dir=settings.data_dir / "webhook",
            mappings_dir=settings.mappings_dir,
            merchant_timezone=settings.merchant_timezone,
            app_key=app_key,
            **options,
        )

    @property
    def id_retention(self) -> timedelta:
        return self.max_event_age + self.max_clock_skew


# --- counters -----------------------------------------------------------------------------------


@dataclass
class ReceiverCounters:
    """What the receiver did since it started; ``landed`` includes the ``stale`` (quarantined)."""

    received: int = 0
    landed: int = 0
    duplicates: int = 0
    stale: int = 0
    rejected: Counter[tuple[int, str]] = field(default_factory=Counter)

    def as_json(self) -> dict:
        by_status: dict[str, dict[str, int]] = defaultdict(dict)
        for (status, reason), count in sorted(self.rejected.items()):
            by_status[str(status)][reason] = count
        return {
            "received": self.received,
            "landed": self.landed,
            "duplicates": self.duplicates,
            "stale": self.stale,
            "rejected_total": sum(self.rejected.values()),
            "rejected": dict(by_status),
        }

    def summary(self) -> str:
        rejected = ", ".join(
            f"{status} {reason} {count}"
            for (status, reason), count in sorted(self.rejected.items())
        )
        return (
            f"received {self.received}, landed {self.landed} ({self.stale} stale, quarantined), "
            f"duplicates {self.duplicates}, rejected {sum(self.rejected.values())}"
            + (f" ({rejected})" if rejected else "")
        )


# --- recovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveredSegment:
    path: Path
    """The completed segment; for a leftover with no complete line, the ``.tmp`` that was removed."""
    lines: int
    dropped_bytes: int
    """A partial trailing line cut off (never acknowledged: the crash came before its fsync)."""


def recover_segments(landing_dir: Path, producer: str = PRODUCER) -> list[RecoveredSegment]:
    """Commit the open segments a killed ``producer`` left behind; call only while it is stopped.

    Each hidden ``.<segment-id>.ndjson.tmp`` of that producer is truncated to its last complete
    line, fsynced and renamed to ``<segment-id>.ndjson`` (the directory fsynced after); one
    without a complete line is removed. Other producers' leftovers are not touched.
    """
    recovered = []
    for tmp in sorted(Path(landing_dir).glob(f"*/*/business_date=*/.*-{producer}-*.tmp")):
        match = _SEGMENT_NAME.match(tmp.name[1:].removesuffix(".tmp"))
        if match is None or match["producer"] != producer:
            continue
        data = tmp.read_bytes()
        complete = data.rfind(b"\n") + 1
        if complete == 0:
            tmp.unlink()
            _fsync_dir(tmp.parent)
            recovered.append(RecoveredSegment(tmp, 0, len(data)))
            continue
        with open(tmp, "r+b") as handle:
            if complete < len(data):
                handle.truncate(complete)
            os.fsync(handle.fileno())
        final = tmp.with_name(tmp.name[1:].removesuffix(".tmp"))
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        recovered.append(
            RecoveredSegment(final, data.count(b"\n", 0, complete), len(data) - complete)
        )
    return recovered


# --- seen event ids -----------------------------------------------------------------------------


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
        cutoff_ms = _epoch_ms(now - retention)
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
    _fsync_dir(path.parent)


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
    return sorted(zone.root.glob(f"{SOURCE}/*/business_date=*/*-{producer}-*{SEGMENT_SUFFIX}"))


def _segment_created_ms(segment: Path) -> int:
    match = _SEGMENT_NAME.match(segment.name)
    if match is None:
        return 0
    created = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return _epoch_ms(created)


def _segment_ids(segment: Path) -> Iterable[tuple[str, int]]:
    with segment.open("rb") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                received = datetime.fromisoformat(record["received_at"])
                yield record["event_id"], _epoch_ms(received)
            except (ValueError, KeyError, TypeError):
                continue


# --- durable landing ----------------------------------------------------------------------------


@dataclass
class SyncingLandingWriter(LandingWriter):
    """A LandingWriter that can make its open segments durable without committing them.

    ``sync()`` belongs in LandingWriter itself; it lives here until landing.py offers it. New
    ``.tmp`` files and new ``business_date=`` directories also get their directory entries
    fsynced, so an acknowledged line survives a power loss, not just a killed process.
    """

    _unsynced_dirs: set[Path] = field(default_factory=set)

    def sync(self, keys: Iterable[tuple[str, str, str]] | None = None) -> None:
        """Flush and fsync the open segments of ``keys`` (all when None)."""
        chosen = self._open if keys is None else {k: self._open[k] for k in keys if k in self._open}
        for segment in chosen.values():
            segment.handle.flush()
            os.fsync(segment.handle.fileno())
        for directory in sorted(self._unsynced_dirs, key=lambda p: len(p.parts), reverse=True):
            _fsync_dir(directory)
        self._unsynced_dirs.clear()

    def _start(self, key: tuple[str, str, str]) -> _OpenSegment:
        directory = self.zone.day_dir(*key)
        missing = directory
        while not missing.exists() and missing != missing.parent:
            self._unsynced_dirs.add(missing.parent)
            missing = missing.parent
        segment = super()._start(key)
        self._unsynced_dirs.add(directory)
        return segment


@dataclass
class _Delivery:
    event_id: str
    entity: str
    business_date: str
    line: str
    received_ms: int
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop


class ReceiverUnavailable(RuntimeError):
    """The receiver is not running, stopping, or its writer failed; the sender should retry."""


_STOP = object()


class GroupCommitter:
    """The single writer thread: batches queued deliveries into one fsync per touched segment."""

    def __init__(self, config: ReceiverConfig, seen: SeenEventIds) -> None:
        self._seen = seen
        self._writer = SyncingLandingWriter(
            LandingZone(config.landing_dir),
            producer=PRODUCER,
            max_segment_bytes=config.max_segment_bytes,
            max_segment_age_seconds=config.max_segment_age_seconds,
        )
        self._rotate_every = min(0.25, max(config.max_segment_age_seconds / 4, 0.01))
        self._clock = config.clock
        self._id_retention = config.id_retention
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="webhook-group-commit", daemon=True)
        self._stopping = False
        self.failure: BaseException | None = None
        self.batches = 0

    def start(self) -> None:
        self._thread.start()

    def submit(
        self, event_id: str, entity: str, business_date: str, line: str, received_ms: int
    ) -> asyncio.Future:
        """Queue one landing line; the future resolves to "landed" or "duplicate" once durable."""
        if self._stopping or self.failure is not None:
            raise ReceiverUnavailable("the receiver is stopping or its writer failed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(_Delivery(event_id, entity, business_date, line, received_ms, future, loop))
        return future

    def stop(self) -> list[Path]:
        """Land what is queued, commit every open segment, end the thread; committed paths."""
        if not self._stopping:
            self._stopping = True
            self._queue.put(_STOP)
        self._thread.join()
        return list(self._writer.committed)

    def _run(self) -> None:
        next_rotation = time.monotonic() + self._rotate_every
        next_compaction = time.monotonic() + JOURNAL_COMPACTION_SECONDS
        stop = False
        while not stop:
            batch: list[_Delivery] = []
            try:
                item = self._queue.get(timeout=max(0.0, next_rotation - time.monotonic()))
            except queue.Empty:
                item = None
            while item is not None:
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            try:
                if batch:
                    self._commit(batch)
                if stop or time.monotonic() >= next_rotation:
                    self._writer.rotate_stale()
                    next_rotation = time.monotonic() + self._rotate_every
                if time.monotonic() >= next_compaction:
                    self._seen.compact(_epoch_ms(self._clock() - self._id_retention))
                    next_compaction = time.monotonic() + JOURNAL_COMPACTION_SECONDS
            except BaseException as failure:
                self._fail(failure, batch)
                return
        try:
            self._writer.close()
        except BaseException as failure:
            self._fail(failure, [])
        finally:
            self._seen.close()

    def _commit(self, batch: list[_Delivery]) -> None:
        outcomes: list[tuple[_Delivery, str]] = []
        fresh: list[_Delivery] = []
        in_batch: set[str] = set()
        lines: dict[tuple[str, str], list[str]] = defaultdict(list)
        for delivery in batch:
            if delivery.event_id in self._seen or delivery.event_id in in_batch:
                outcomes.append((delivery, "duplicate"))
                continue
            in_batch.add(delivery.event_id)
            fresh.append(delivery)
            lines[(delivery.entity, delivery.business_date)].append(delivery.line)
            outcomes.append((delivery, "landed"))
        for (entity, business_date), entity_lines in lines.items():
            self._writer.append_lines(SOURCE, entity, business_date, entity_lines)
        self._writer.sync((SOURCE, entity, business_date) for entity, business_date in lines)
        self._seen.record((d.event_id, d.received_ms) for d in fresh)
        self.batches += 1
        _settle(outcomes)

    def _fail(self, failure: BaseException, batch: list[_Delivery]) -> None:
        """Stop for good: what is on disk is unknown until the next start recovers it."""
        self.failure = failure
        self._stopping = True
        logger.error("webhook writer failed; receiver stops accepting: %r", failure)
        pending = list(batch)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                pending.append(item)
        _settle([(d, ReceiverUnavailable("the landing writer failed")) for d in pending])


def _settle(outcomes: list[tuple[_Delivery, str | BaseException]]) -> None:
    """Resolve futures on their own event loops, one wake-up per loop and batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = defaultdict(list)
    for delivery, outcome in outcomes:
        by_loop[delivery.loop].append((delivery.future, outcome))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, items)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            continue


def _resolve(items: list[tuple[asyncio.Future, str | BaseException]]) -> None:
    for future, outcome in items:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


# --- the receiver -------------------------------------------------------------------------------


class Rejection(Exception):
    def __init__(self, status: int, reason: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.extra = extra

    def response(self) -> JSONResponse:
        headers = {"connection": "close"} if self.status == 413 else None
        body = {"status": "rejected", "reason": self.reason, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=headers)


class ReceiverAlreadyRunning(RuntimeError):
    pass


def lock_state_dir(state_dir: Path) -> IO[bytes]:
    """Exclusive for as long as the returned handle is open: one receiver per data folder."""
    state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(state_dir / LOCK_NAME, "a+b")  # noqa: SIM115 - the caller holds it open
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ReceiverAlreadyRunning(
            f"another webhook receiver holds {state_dir / LOCK_NAME}"
        ) from None
    return handle


@dataclass(frozen=True)
class Accepted:
    event: Event
    business_date: date
    line: str
    received_ms: int
    receiver_problem: str | None


class WebhookReceiver:
    """The receiver's state and request handling; ``create_app`` wraps it in an ASGI app."""

    def __init__(self, config: ReceiverConfig) -> None:
        self.config = config
        self.zones = StoreZones.from_mappings(config.mappings_dir, config.merchant_timezone)
        self.counters = ReceiverCounters()
        self.recovered: list[RecoveredSegment] = []
        self._committer: GroupCommitter | None = None
        self._failure: BaseException | None = None
        self._lock_handle = None
        self._state = threading.Lock()

    @property
    def running(self) -> bool:
        return self._committer is not None

    @property
    def failure(self) -> BaseException | None:
        """Why the landing writer stopped, if it failed (kept after ``stop()``)."""
        return self._committer.failure if self._committer is not None else self._failure

    def start(self) -> None:
        """Lock the state folder, recover leftovers, load the seen ids, start the writer."""
        with self._state:
            if self._committer is not None:
                return
            lock_handle = lock_state_dir(self.config.state_dir)
            try:
                self.recovered = recover_segments(self.config.landing_dir, PRODUCER)
                for segment in self.recovered:
                    logger.warning(
                        "recovered %s: %d lines, %d bytes of a partial line dropped",
                        segment.path,
                        segment.lines,
                        segment.dropped_bytes,
                    )
                seen = SeenEventIds.load(
                    self.config.state_dir / JOURNAL_NAME,
                    LandingZone(self.config.landing_dir),
                    self.config.id_retention,
                    self.config.clock(),
                )
                committer = GroupCommitter(self.config, seen)
                committer.start()
            except BaseException:
                lock_handle.close()
                raise
            self._lock_handle = lock_handle
            self._committer = committer
            logger.info(
                "webhook receiver started: %d event ids remembered, %d segments recovered",
                len(seen),
                len(self.recovered),
            )

    def stop(self) -> list[Path]:
        """Land what is queued, commit every open segment, release the lock; committed paths."""
        with self._state:
            if self._committer is None:
                return []
            committer, self._committer = self._committer, None
            committed = committer.stop()
            self._failure = committer.failure
            self._lock_handle.close()
            self._lock_handle = None
            logger.info(
                "webhook receiver stopped: %s; %d segments committed",
                self.counters.summary(),
                len(committed),
            )
            return committed

    async def receive(self, request: Request) -> JSONResponse:
        self.counters.received += 1
        try:
            body = await self._read_body(request)
            accepted = self.accept(body, request.headers.get(SIGNATURE_HEADER))
            committer = self._committer
            if committer is None:
                raise ReceiverUnavailable("the receiver is not running")
            event = accepted.event
            outcome = await committer.submit(
                event.event_id,
                event.entity,
                accepted.business_date.isoformat(),
                accepted.line,
                accepted.received_ms,
            )
        except Rejection as rejection:
            self.counters.rejected[(rejection.status, rejection.reason)] += 1
            return rejection.response()
        except ReceiverUnavailable as unavailable:
            self.counters.rejected[(503, "unavailable")] += 1
            return Rejection(503, "unavailable", str(unavailable)).response()

        answer = {
            "status": outcome,
            "event_id": event.event_id,
            "business_date": accepted.business_date.isoformat(),
        }
        if outcome == "duplicate":
            self.counters.duplicates += 1
        else:
            self.counters.landed += 1
            if accepted.receiver_problem:
                self.counters.stale += 1
                answer["quarantined"] = accepted.receiver_problem
        return JSONResponse(answer)

    async def stats(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                **self.counters.as_json(),
                "running": self.running,
                "group_commits": self._committer.batches if self._committer else 0,
                "recovered_segments": len(self.recovered),
            }
        )

    async def _read_body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Rejection(
                413, "too_large", f"body of {int(declared)} bytes exceeds the {limit}-byte limit"
            )
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Rejection(413, "too_large", f"body exceeds the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def accept(self, body: bytes, signature: str | None) -> Accepted:
        """Signature, JSON, shape and replay window of one body; raises :class:`Rejection`."""
        if not signature:
            raise Rejection(401, "missing_signature", f"{SIGNATURE_HEADER} header is missing")
        if not verify(body, self.config.app_key, signature):
            raise Rejection(
                401, "bad_signature", f"{SIGNATURE_HEADER} does not match the body and app key"
            )
        try:
            document = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise Rejection(400, "not_json", "body is not UTF-8") from None
        except (ValueError, RecursionError) as problem:
            raise Rejection(400, "not_json", f"body is not JSON: {problem}") from None
        if not isinstance(document, dict):
            raise Rejection(
                400, "not_an_object", f"body is a JSON {type(document).__name__}, not an object"
            )
        try:
            event = event_from_body(document)
            business_date = self.zones.business_day(event)
            event_time = event.event_time
        except UnknownEventType as unknown:
            raise Rejection(
                422,
                "unknown_event_type",
                str(unknown),
                event_type=unknown.event_type,
                known_event_types=list(EVENT_TYPES),
            ) from None
        except EventShapeError as problem:
            raise Rejection(400, "bad_shape", str(problem)) from None

        now = self.config.clock().astimezone(UTC)
        problem = _stale_problem(event_time, now, self.config)
        line = envelope(
            event.event_id,
            event.event_type,
            event.payload,
            received_at=_iso_ms(now),
            receiver_problem=problem,
        )
        try:
            line.encode()
        except UnicodeEncodeError:
            raise Rejection(
                400, "not_json", "body holds an unpaired UTF-16 surrogate escape"
            ) from None
        return Accepted(event, business_date, line, _epoch_ms(now), problem)


def create_app(config: ReceiverConfig) -> Starlette:
    """The ASGI app. Its lifespan starts the receiver (recovery first) and stops it (commit)."""
    receiver = WebhookReceiver(config)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await asyncio.to_thread(receiver.start)
        try:
            yield
        finally:
            await asyncio.to_thread(receiver.stop)

    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, receiver.receive, methods=["POST"]),
            Route(STATS_PATH, receiver.stats, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.receiver = receiver
    return app


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _stale_problem(event_time: datetime, now: datetime, config: ReceiverConfig) -> str | None:
    if now - event_time > config.max_event_age:
        side, gap = "before", now - event_time
    elif event_time - now > config.max_clock_skew:
        side, gap = "after", event_time - now
    else:
        return None
    minutes = int(gap.total_seconds() // 60)
    return (
        f"stale_event: {_iso_ms(event_time)} is {minutes // 60}h {minutes % 60:02d}m {side} "
        f"receipt at {_iso_ms(now)}; window -{_compact(config.max_event_age)}"
        f"/+{_compact(config.max_clock_skew)}"
    )


def _compact(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def _iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
