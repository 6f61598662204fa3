"""Store time zones for Python, read from the same database the SQL uses: DuckDB's ICU data.

A business day is the local date of a record's time in its store's zone. The landing code (webhook
receiver, end-of-day pull) files each event under that day in Python, and the canonical SQL
recomputes it with DuckDB's ``timezone()`` and flags ``wrong_business_day`` where they differ.
Python's ``zoneinfo`` reads the OS's zone files first (Debian's tzdata 2025b on our hosts), then
the ``tzdata`` wheel, while DuckDB reads the ICU data compiled into its wheel: three IANA releases.
Measured over 2026, the OS files put America/Vancouver, Edmonton, Winnipeg and other Canadian
zones an hour off ICU from November (their 2026 rule is not in 2025b), and the tzdata wheel
differs from ICU on America/Havana. So there is one source, ICU in the pinned duckdb wheel
(requirements.lock), and Python asks it: :func:`zone` returns a ``tzinfo`` whose offsets come
from the ``utc_offset_changes`` macro (``sql/macros/business_days.sql``), fetched once per zone
and year with one set-based query and then answered by bisection, so converting an event costs
no query.

Dagster's partition windows still use ``zoneinfo`` (Dagster's own choice); they only decide when
a day can be materialised, never which day a record belongs to.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_right
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

import duckdb

from hl_d365_assets.package_files import package_folder

BUSINESS_DAY_MACROS = package_folder("hl_d365_assets.sql", "macros") / "business_days.sql"

# A year's offsets are fetched from two days before New Year (UTC) to two days after the next, so
# a local wall time of any moment of the year, at any offset, falls inside the fetched span.
_MARGIN = timedelta(days=2)


class _IcuClock:
    """One in-memory DuckDB connection with the business-day macros, opened on first use.

    Behind a lock because a connection runs one statement at a time and zones are converted from
    any thread (the run's executor, the webhook receiver); reopened in a forked child, where an
    inherited connection is unusable.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._pid = os.getpid()

    def offset_changes(self, key: str, year: int) -> list[tuple[int, int]]:
        """(epoch second the offset starts, offset in seconds) covering ``year`` and its margins."""
        first = int((datetime(year, 1, 1, tzinfo=UTC) - _MARGIN).timestamp())
        last = int((datetime(year + 1, 1, 1, tzinfo=UTC) + _MARGIN).timestamp())
        if self._pid != os.getpid():
            self._lock, self._conn, self._pid = threading.Lock(), None, os.getpid()
        with self._lock:
            if self._conn is None:
                opened = duckdb.connect(":memory:")
                opened.execute(BUSINESS_DAY_MACROS.read_text(encoding="utf-8")).fetchall()
                self._conn = opened
            try:
                rows = self._conn.execute(
                    "SELECT * FROM utc_offset_changes(?, ?, ?)", [key, first, last]
                ).fetchall()
            except duckdb.Error as error:
                raise UnknownTimeZone(f"{key!r} is not a time zone DuckDB knows: {error}") from None
        return [(int(start), int(offset)) for start, offset in rows]


_clock = _IcuClock()


class UnknownTimeZone(ValueError):
    """The name is not in DuckDB's ICU time-zone data (so the SQL could not use it either)."""


class _YearOffsets:
    """One zone's offsets over one year, in the three orders a lookup needs."""

    def __init__(self, changes: list[tuple[int, int]]) -> None:
        self.starts = [start for start, _ in changes]
        self.offsets = [offset for _, offset in changes]
        # A wall time near a change is read as PEP 495 says: in a gap or an overlap, fold=0 takes
        # the offset before the change, fold=1 the one after. So the wall-clock boundary of a change
        # is the later of its two wall times for fold=0 and the earlier for fold=1.
        pairs = list(zip(self.offsets, self.offsets[1:], strict=False))
        self.walls_fold0 = [self.starts[0] + self.offsets[0]] + [
            start + max(before, after)
            for start, (before, after) in zip(self.starts[1:], pairs, strict=True)
        ]
        self.walls_fold1 = [self.starts[0] + self.offsets[0]] + [
            start + min(before, after)
            for start, (before, after) in zip(self.starts[1:], pairs, strict=True)
        ]


def _seconds_as_if_utc(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


class IcuZone(tzinfo):
    """A ``tzinfo`` for one IANA zone whose offsets are DuckDB's (see the module docstring)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._years: dict[int, _YearOffsets] = {}
        self._lock = threading.Lock()

    def _year(self, year: int) -> _YearOffsets:
        offsets = self._years.get(year)
        if offsets is None:
            with self._lock:
                offsets = self._years.get(year)
                if offsets is None:
                    offsets = _YearOffsets(_clock.offset_changes(self.key, year))
                    self._years[year] = offsets
        return offsets

    def fromutc(self, moment: datetime) -> datetime:
        if moment.tzinfo is not self:
            raise ValueError("fromutc: moment.tzinfo is not self")
        year = self._year(moment.year)
        index = bisect_right(year.starts, _seconds_as_if_utc(moment)) - 1
        return moment + timedelta(seconds=year.offsets[index])

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        if moment is None:
            return None
        year = self._year(moment.year)
        walls = year.walls_fold1 if moment.fold else year.walls_fold0
        index = max(bisect_right(walls, _seconds_as_if_utc(moment)) - 1, 0)
        return timedelta(seconds=year.offsets[index])

    def dst(self, moment: datetime | None) -> timedelta | None:
        # ICU's rules are read only as total offsets; nothing here needs the DST share.
        return None

    def tzname(self, moment: datetime | None) -> str:
        return self.key

    def __repr__(self) -> str:
        return f"IcuZone({self.key!r})"

    def __str__(self) -> str:
        return self.key

    def __reduce__(self):
        return zone, (self.key,)


@cache
def zone(key: str) -> IcuZone:
    """The store zone ``key`` (``America/Vancouver``), one instance per process and name.

    Raises :class:`UnknownTimeZone` at once for a name DuckDB does not know, so a bad
    ``mappings/stores.csv`` row fails where it is read, not at the first event.
    """
    found = IcuZone(key)
    found.utcoffset(datetime(2026, 1, 1))
    return found
