"""Refused requests on the record: counts per day, HTTP status and reason code, landed as events.

A refused request (400 unreadable or malformed, 413 too large, 422 unknown event type) is not
acknowledged; if the sender gives up on it, the batch it belonged to comes up short in the
reconciliation with nothing saying why. So the receiver counts its refusals, and the writer
thread lands the counts under ``landing/heartland/receiver_refusals/business_date=…/`` through
the same landing writer as the events: one line per day, status and reason code each time it
drains the tally (a few times a second at most, however many requests are refused), which
``ops.receiver_refusals`` loads.

Nothing of a request is written: no body, no field of it, no message echoing it — only the
status, the reason code (the receiver's own fixed vocabulary) and times. The day is the business
day when the receiver had worked it out before refusing (a surrogate found once the event was
read), else the merchant's date of receipt; ``date_basis`` says which. A 401 (unsigned, or signed
with another key) is not counted here: nothing says it came from Heartland (``/stats`` counts
it). A 413 is, though its signature is never checked: a genuine notification too large is
exactly what leaves a batch short, and anyone else's only raises a count.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from hl_d365_assets.landing import envelope

RECORDED_STATUSES = frozenset({400, 413, 422})
EVENT_TYPE = "receiver.refused"


@dataclass(frozen=True)
class RefusalKey:
    business_date: str
    date_basis: str
    """``business_day`` or ``receipt_day``."""
    http_status: int
    reason_code: str


@dataclass
class _Tally:
    refusals: int
    first: datetime
    last: datetime


class RefusalTally:
    """Counts refusals from the request handlers; the writer thread drains them into lines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[RefusalKey, _Tally] = {}

    def count(self, key: RefusalKey, refused_at: datetime) -> None:
        with self._lock:
            tally = self._counts.get(key)
            if tally is None:
                self._counts[key] = _Tally(1, refused_at, refused_at)
            else:
                tally.refusals += 1
                tally.last = max(tally.last, refused_at)

    def drain(self) -> dict[str, list[str]]:
        """Landing lines of what was counted since the last drain, by business date."""
        with self._lock:
            counts, self._counts = self._counts, {}
        lines: dict[str, list[str]] = defaultdict(list)
        for key, tally in sorted(counts.items(), key=lambda item: _order(item[0])):
            lines[key.business_date].append(
                envelope(
                    "RFS_" + secrets.token_hex(12),
                    EVENT_TYPE,
                    {
                        "http_status": key.http_status,
                        "reason_code": key.reason_code,
                        "date_basis": key.date_basis,
                        "refusals": tally.refusals,
                        "first_refused_at": _iso_ms(tally.first),
                        "last_refused_at": _iso_ms(tally.last),
                    },
                    received_at=_iso_ms(tally.last),
                )
            )
        return dict(lines)


def _order(key: RefusalKey) -> tuple:
    return (key.business_date, key.date_basis, key.http_status, key.reason_code)


def _iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
