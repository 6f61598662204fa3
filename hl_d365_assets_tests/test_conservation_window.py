"""Conservation while the receiver keeps landing: a segment that lands during a load belongs to the
next load, not a hole in this one; a segment the load should have read and did not still fails."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from hl_d365_assets.defs.raw.checks import landed_lines

DAY = date(2026, 12, 3)


def segment(folder: Path, name: str, lines: int, mtime: float) -> Path:
    path = folder / f"{name}.ndjson"
    path.write_text("".join(f'{{"n":{n}}}\n' for n in range(lines)))
    os.utime(path, (mtime, mtime))
    return path


def test_a_segment_landed_after_the_load_is_the_next_loads_and_is_counted_as_late(
    tmp_path: Path,
) -> None:
    first = segment(tmp_path, "a", 3, 1_000.0)
    second = segment(tmp_path, "b", 2, 1_001.0)
    arrived_during_the_run = segment(tmp_path, "c", 4, 1_005.0)

    landed, late = landed_lines(
        {DAY: [first, second, arrived_during_the_run]}, {(DAY, str(first)), (DAY, str(second))}
    )

    assert landed == {DAY: 5} and late == 1


def test_a_segment_older_than_one_the_load_read_counts_so_skipping_it_fails_conservation(
    tmp_path: Path,
) -> None:
    skipped = segment(tmp_path, "a", 3, 1_000.0)
    read = segment(tmp_path, "b", 2, 1_001.0)

    landed, late = landed_lines({DAY: [skipped, read]}, {(DAY, str(read))})

    assert landed == {DAY: 5} and late == 0


def test_a_day_the_load_read_nothing_of_counts_every_segment(tmp_path: Path) -> None:
    landed, late = landed_lines({DAY: [segment(tmp_path, "a", 3, 1_000.0)]}, set())

    assert landed == {DAY: 3} and late == 0
