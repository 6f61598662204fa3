"""Group commit: one writer thread, so an fsync is shared by every request waiting on it.

One writer thread owns the :class:`~hl_d365_assets.landing.LandingWriter` (producer
``webhook``): it drains whatever requests are queued, appends their lines to the current segment
of ``(heartland, entity, business_date)``, syncs each touched segment once (without committing
it), journals the ids, then answers every waiting request. Rotation (by size, and by age every
fraction of ``max_segment_age_seconds`` so the landing sensor sees completed segments within
seconds) runs on the same thread, and so does landing the counts of refused requests
(``refusals.py``), each time round. If a write fails, the receiver stops accepting (503) and the
server exits non-zero: the segment's state is unknown, and the next start recovers it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.webhook.config import PRODUCER, REFUSALS_ENTITY, SOURCE, ReceiverConfig
from hl_d365_assets.webhook.refusals import RefusalTally
from hl_d365_assets.webhook.seen_event_ids import SeenEventIds, epoch_ms

logger = logging.getLogger("hl_d365_assets.webhook")

MAX_BATCH = 4096
JOURNAL_COMPACTION_SECONDS = 3600.0
"""A long-running receiver drops ids older than the retention this often (memory and journal)."""


@dataclass
class _Delivery:
    event_id: str
    entity: str
    business_date: str
    line: str
    received_ms: int
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    source: str = SOURCE


class ReceiverUnavailable(RuntimeError):
    """The receiver is not running, stopping, or its writer failed; the sender should retry."""


_STOP = object()


class GroupCommitter:
    """The single writer thread: batches queued deliveries into one fsync per touched segment."""

    def __init__(self, config: ReceiverConfig, seen: SeenEventIds) -> None:
        self._seen = seen
        self._writer = LandingWriter(
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
        self.refusals = RefusalTally()

    def start(self) -> None:
        self._thread.start()

    def submit(
        self,
        event_id: str,
        entity: str,
        business_date: str,
        line: str,
        received_ms: int,
        source: str = SOURCE,
    ) -> asyncio.Future:
        """Queue one landing line; the future resolves to "landed" or "duplicate" once durable.
        ``source``: ``heartland``, or ``d365`` for D365 business events (``d365_events.py``)."""
        if self._stopping or self.failure is not None:
            raise ReceiverUnavailable("the receiver is stopping or its writer failed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(
            _Delivery(event_id, entity, business_date, line, received_ms, future, loop, source)
        )
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
                self._land_refusals()
                if stop or time.monotonic() >= next_rotation:
                    self._writer.rotate_stale()
                    next_rotation = time.monotonic() + self._rotate_every
                if time.monotonic() >= next_compaction:
                    self._seen.compact(epoch_ms(self._clock() - self._id_retention))
                    next_compaction = time.monotonic() + JOURNAL_COMPACTION_SECONDS
            except BaseException as failure:
                self._fail(failure, batch)
                return
        try:
            self._land_refusals()
            self._writer.close()
        except BaseException as failure:
            self._fail(failure, [])
        finally:
            self._seen.close()

    def _commit(self, batch: list[_Delivery]) -> None:
        outcomes: list[tuple[_Delivery, str]] = []
        fresh: list[_Delivery] = []
        in_batch: set[str] = set()
        lines: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for delivery in batch:
            if delivery.event_id in self._seen or delivery.event_id in in_batch:
                outcomes.append((delivery, "duplicate"))
                continue
            in_batch.add(delivery.event_id)
            fresh.append(delivery)
            lines[(delivery.source, delivery.entity, delivery.business_date)].append(delivery.line)
            outcomes.append((delivery, "landed"))
        for (source, entity, business_date), entity_lines in lines.items():
            self._writer.append_lines(source, entity, business_date, entity_lines)
        self._writer.sync(list(lines))
        self._seen.record((d.event_id, d.received_ms) for d in fresh)
        self.batches += 1
        _settle(outcomes)

    def _land_refusals(self) -> None:
        """Append the refusals counted since last time; they commit with the segment's rotation."""
        for business_date, lines in self.refusals.drain().items():
            self._writer.append_lines(SOURCE, REFUSALS_ENTITY, business_date, lines)

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
