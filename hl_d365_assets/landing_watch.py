"""Which business days have new completed segments: the landing sensor's view of the zone.

A tick must stay cheap with tens of thousands of segments in the zone, so it never lists them
all. Renaming a segment into ``business_date=…/`` changes that directory's mtime; a tick stats
the day directories (one per source, entity and day: about a thousand a year) and lists only those
changed since the previous tick's watermark. Directory mtimes can be coarse, so directories
within ``margin_ns`` of the watermark are looked at again; what the sensor does with a day is
idempotent, so seeing it twice is harmless.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hl_d365_assets.landing import SEGMENT_SUFFIX

DAY_PREFIX = "business_date="
DEFAULT_MARGIN_NS = 2_000_000_000


@dataclass
class ZoneChanges:
    newest: dict[str, dict[str, str]] = field(default_factory=dict)
    """business date -> "<source>/<entity>" -> newest completed segment name in a changed dir."""
    watermark_ns: int = 0
    """The newest directory mtime seen: the next tick looks at what changed after it."""
    day_dirs_seen: int = 0
    day_dirs_listed: int = 0


def scan(root: Path, since_ns: int, margin_ns: int = DEFAULT_MARGIN_NS) -> ZoneChanges:
    """Day directories changed after ``since_ns`` (minus the margin), with their newest segment."""
    changes = ZoneChanges(watermark_ns=since_ns)
    for stream, day, entry in _day_dirs(root):
        changes.day_dirs_seen += 1
        mtime_ns = entry.stat().st_mtime_ns
        if mtime_ns <= since_ns - margin_ns:
            continue
        changes.day_dirs_listed += 1
        changes.watermark_ns = max(changes.watermark_ns, mtime_ns)
        newest = newest_segment(Path(entry.path))
        if newest is not None:
            changes.newest.setdefault(day, {})[stream] = newest
    return changes


def newest_segment(day_dir: Path) -> str | None:
    """Segment ids sort by creation time; hidden ``.tmp`` files are not segments yet."""
    names = [
        entry.name
        for entry in os.scandir(day_dir)
        if entry.name.endswith(SEGMENT_SUFFIX) and not entry.name.startswith(".")
    ]
    return max(names, default=None)


def _day_dirs(root: Path) -> Iterator[tuple[str, str, os.DirEntry]]:
    if not root.is_dir():
        return
    for source in _subdirs(root):
        for entity in _subdirs(source.path):
            for day in _subdirs(entity.path):
                if day.name.startswith(DAY_PREFIX):
                    yield f"{source.name}/{entity.name}", day.name[len(DAY_PREFIX) :], day


def _subdirs(path: str | Path) -> list[os.DirEntry]:
    with os.scandir(path) as entries:
        return [entry for entry in entries if entry.is_dir() and not entry.name.startswith(".")]
