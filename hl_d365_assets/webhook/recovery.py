"""Crash recovery: commit what a killed receiver left open, and never while a live one runs.

The writer keeps an open segment under a hidden ``.<name>.tmp`` name until it rotates, so a
killed receiver leaves acknowledged, fsynced lines there. Before accepting traffic,
:meth:`~hl_d365_assets.webhook.receiver.WebhookReceiver.start` runs :func:`recover_segments`:
every leftover ``.tmp`` of the ``webhook`` producer is cut back to its last complete line (a
partial line was never acknowledged) and renamed into place. An exclusive lock on
``<data_dir>/webhook/receiver.lock`` makes sure no live receiver's open segment is "recovered"
under it.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hl_d365_assets.landing import SEGMENT_NAME, fsync_dir
from hl_d365_assets.webhook.config import PRODUCER

LOCK_NAME = "receiver.lock"


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
        match = SEGMENT_NAME.match(tmp.name[1:].removesuffix(".tmp"))
        if match is None or match["producer"] != producer:
            continue
        data = tmp.read_bytes()
        complete = data.rfind(b"\n") + 1
        if complete == 0:
            tmp.unlink()
            fsync_dir(tmp.parent)
            recovered.append(RecoveredSegment(tmp, 0, len(data)))
            continue
        with open(tmp, "r+b") as handle:
            if complete < len(data):
                handle.truncate(complete)
            os.fsync(handle.fileno())
        final = tmp.with_name(tmp.name[1:].removesuffix(".tmp"))
        os.replace(tmp, final)
        fsync_dir(final.parent)
        recovered.append(
            RecoveredSegment(final, data.count(b"\n", 0, complete), len(data) - complete)
        )
    return recovered
