"""Heartland Retail item and customer webhooks, taken as nudges to pull, never as data.

Retail's event webhooks (``item_created``, ``item_updated``, ``customer_created``,
``customer_updated``; reference §7, third-party only) have no documented payload, signature or
retry policy, and none exist for tickets or stock. So the receiver trusts nothing in the body:
it reads only the event's name, lands nothing, and notes on a board *that* items or customers
changed. The ``heartland_retail_nudge_sensor`` turns a newer note into a run of the item or
customer pull, which fetches the records itself over the authenticated API. A forged nudge can
at most cause one extra pull of data we fetch ourselves; a flood of them is coalesced here (the
board's file is rewritten at most once a second) and by the sensor (one run at a time, at most
one a minute).

The board is a small JSON file beside the receiver's other state (``<data_dir>/webhook/``):
``{"items": <epoch ms of the newest nudge>, "customers": ...}``, replaced atomically. It is not
fsynced: a nudge lost to a power cut is caught by the next scheduled pull.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

RETAIL_WEBHOOK_PATH = "/webhooks/heartland-retail"
NUDGES_FILE = "heartland_retail_nudges.json"
NUDGED_ENTITIES = {"item": "items", "customer": "customers"}
"""Event name prefix -> the landing entity whose pull it nudges."""
EVENT_NAME_FIELDS = ("event", "event_type", "type", "name")
"""Where the body may name its event: the payload shape is unconfirmed (reference §7), so the
first of these that holds a string is taken."""
DEFAULT_MIN_WRITE_SECONDS = 1.0


class NudgeRefused(ValueError):
    def __init__(self, reason: str, detail: str, event: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.event = event


def nudged_entity(document: object) -> tuple[str, str]:
    """The entity a Retail event body nudges, and the event's name; raises :class:`NudgeRefused`."""
    if not isinstance(document, Mapping):
        raise NudgeRefused("not_an_object", "body is not a JSON object")
    name = next((document[f] for f in EVENT_NAME_FIELDS if isinstance(document.get(f), str)), None)
    if not name:
        raise NudgeRefused(
            "bad_shape", f"body names no event (looked in {', '.join(EVENT_NAME_FIELDS)})"
        )
    prefix = name.split("_", 1)[0]
    if prefix in NUDGED_ENTITIES and "_" in name:
        return NUDGED_ENTITIES[prefix], name
    raise NudgeRefused(
        "unsupported_event",
        f"event {name!r} is not taken: Heartland Retail offers webhooks for items and customers "
        "only (item_*, customer_*); tickets and stock are pulled on a schedule",
        event=name,
    )


class NudgeBoard:
    """The newest nudge per entity, written to a file the sensor reads, at most once a second."""

    def __init__(
        self,
        path: Path,
        clock_ms: Callable[[], int] | None = None,
        min_write_seconds: float = DEFAULT_MIN_WRITE_SECONDS,
    ) -> None:
        self.path = path
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self.min_write_seconds = min_write_seconds
        self._lock = threading.Lock()
        self._newest: dict[str, int] = read_board(path)
        self._written_at = float("-inf")
        self._dirty = False
        self._timer: threading.Timer | None = None
        self.nudges = 0
        self.writes = 0

    def record(self, entity: str) -> None:
        with self._lock:
            self.nudges += 1
            self._newest[entity] = max(self._newest.get(entity, 0), self._clock_ms())
            self._dirty = True
            wait = self._written_at + self.min_write_seconds - time.monotonic()
            if wait <= 0:
                self._write()
            elif self._timer is None:
                # The last nudge of a burst still reaches the file, a moment later.
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            self._timer = None
            if self._dirty:
                self._write()

    def close(self) -> None:
        timer = self._timer
        if timer is not None:
            timer.cancel()
        self.flush()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(self._newest, sort_keys=True))
        os.replace(temporary, self.path)
        self._written_at = time.monotonic()
        self._dirty = False
        self.writes += 1


def read_board(path: Path) -> dict[str, int]:
    """Entity -> epoch ms of its newest nudge; empty when there is no (readable) board."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        entity: stamp
        for entity, stamp in value.items()
        if entity in NUDGED_ENTITIES.values() and isinstance(stamp, int)
    }
