"""Load landed segments into the raw layer, set-based, one entity and business-day range at a time.

Each landed line ends in exactly one place (DESIGN.md, "Conservation"): its raw table, the
quarantine with a reason, or the duplicate ledger when an earlier delivery of the same event id
was loaded. Each business day is replaced in one transaction, so a re-run yields the same rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file, transaction

SOURCE = "heartland"
ENTITIES = ("payment_transactions", "settlement_batches", "payment_notifications")
RETAIL_SOURCE = "heartland_retail"
RETAIL_ENTITIES = (
    "tickets",
    "items",
    "customers",
    "locations",
    "payment_types",
    "inventory_values",
)
D365_SOURCE = "d365"
D365_ENTITIES = ("business_events",)
"""Only D365's business events load here; its OData pulls are snapshots (``d365/raw_load.py``)."""
PAYROLL_SOURCE = "heartland_payroll"
PAYROLL_ENTITIES = ("register",)
BANK_SOURCE = "bank"
BANK_ENTITIES = ("statement_lines",)
"""Payroll registers and bank statements come in as dropped files (``payroll_inbox.py``)."""
SOURCES = {
    SOURCE: ENTITIES,
    RETAIL_SOURCE: RETAIL_ENTITIES,
    D365_SOURCE: D365_ENTITIES,
    PAYROLL_SOURCE: PAYROLL_ENTITIES,
    BANK_SOURCE: BANK_ENTITIES,
}
TABLE_PREFIXES = {
    SOURCE: "",
    RETAIL_SOURCE: "retail_",
    D365_SOURCE: "d365_",
    PAYROLL_SOURCE: "payroll_",
    BANK_SOURCE: "bank_",
}
PERSONAL_DATA_SOURCES = frozenset({PAYROLL_SOURCE, BANK_SOURCE})
"""Sources whose lines the scanner also searches for employee data (SSNs, routing and account
numbers, dates of birth). Not the card sources: their records carry no employee data, and their
many 9-digit ids (store, terminal, batch numbers) would trip the bare 9-digit SSN rule on healthy
payments (docs/payroll-intake.md)."""
MAX_RECORD_BYTES = 1_000_000


def raw_table(source: str, entity: str) -> str:
    """The raw table (and parse_<table>.sql) of a source entity. The GP-API entities came first
    and keep their bare names; the others are prefixed, since both have e.g. tickets."""
    if entity not in SOURCES.get(source, ()):
        raise ValueError(f"unknown raw entity {source}/{entity}; expected one of {SOURCES}")
    return TABLE_PREFIXES[source] + entity


@dataclass(frozen=True)
class DayLoad:
    business_date: date
    segments: int
    landed: int
    loaded: int
    duplicates: int
    quarantined: int


def load_entity(
    conn: duckdb.DuckDBPyConnection,
    entity: str,
    segments: Sequence[Path],
    days: Sequence[date],
    max_record_bytes: int = MAX_RECORD_BYTES,
    source: str = SOURCE,
    field_mappings: Sequence = (),
    timings: dict[str, float] | None = None,
) -> list[DayLoad]:
    """Stage, screen, parse and rank the segments' lines, then replace ``days`` of ``entity``.

    A range of days (a single-run backfill) is loaded in batches of consecutive days whose
    segments add up to at most ``BATCH_BYTES`` (a day larger than that is a batch of its own),
    each batch in its own transaction: a busy day's lines are all that is ever staged, so a week
    of million-transaction days costs seven days' time and one day's memory, while two months of
    small days (a test's, a payroll register's) are not loaded through ~20 statements each, 0.3 s
    a day (measured) whatever the day holds. Nothing crosses days (events are deduplicated
    within their business day), so the rows are the same as one pass over the range would give.

    ``field_mappings``: the entity's approved field renames (mappings/field_mappings.csv), applied
    to the staged lines before anything reads them (docs/mapping-copilot.md). ``timings``, if
    given, gets the seconds spent in each phase (stage_lines, card_scan, parse_and_rank, write),
    summed over the days: the benchmark's per-step table."""
    by_day = _segments_by_day(segments, days)
    if by_day is None:
        return _load_days(
            conn, entity, segments, days, max_record_bytes, source, field_mappings, timings
        )
    loads: list[DayLoad] = []
    for batch in _batches(by_day):
        batch_segments = [path for day in batch for path in by_day[day]]
        loads += _load_days(
            conn, entity, batch_segments, batch, max_record_bytes, source, field_mappings, timings
        )
    return loads


BATCH_BYTES = 64 * 2**20
"""Segment bytes loaded in one pass of a range (a million-transaction day lands 1.2 GB)."""


def _batches(by_day: dict[date, list[Path]]) -> list[list[date]]:
    """Consecutive days of the range, in order, grouped while their segments fit BATCH_BYTES."""
    batches: list[list[date]] = []
    size = 0
    for day in sorted(by_day):
        day_size = sum(path.stat().st_size for path in by_day[day])
        if not batches or size + day_size > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(day)
        size += day_size
    return batches


def _segments_by_day(
    segments: Sequence[Path], days: Sequence[date]
) -> dict[date, list[Path]] | None:
    """The segments of each day, by the landing zone's ``business_date=`` folder (as the staging
    SQL reads it); None for a single day, or when a segment names no day of the range, which
    then loads in one pass as before."""
    if len(days) < 2:
        return None
    by_day: dict[date, list[Path]] = {day: [] for day in days}
    for path in segments:
        day = segment_day(path)
        if day not in by_day:
            return None
        by_day[day].append(path)
    return by_day


_BUSINESS_DATE = re.compile(r"business_date=([0-9]{4}-[0-9]{2}-[0-9]{2})")


def segment_day(path: Path | str) -> date | None:
    """The business day a segment's path names (its ``business_date=`` folder, as the staging
    SQL reads it), None when it names none."""
    found = _BUSINESS_DATE.search(str(path))
    return date.fromisoformat(found.group(1)) if found else None


def _load_days(
    conn: duckdb.DuckDBPyConnection,
    entity: str,
    segments: Sequence[Path],
    days: Sequence[date],
    max_record_bytes: int,
    source: str,
    field_mappings: Sequence,
    timings: dict[str, float] | None,
) -> list[DayLoad]:
    table = raw_table(source, entity)
    clock = _PhaseClock(timings)
    params = {
        "source": source,
        "entity": entity,
        "first": min(days),
        "last": max(days),
        "days": list(days),
    }
    window = {k: params[k] for k in ("source", "entity", "first", "last")}
    personal = source in PERSONAL_DATA_SOURCES
    # A range with no landing segment (a stream with no traffic those days) is emptied and its
    # loads recorded as zero without staging, screening or parsing anything: binding those
    # statements costs ~80 ms of CPU a load with no line to read.
    landed = bool(segments)
    if landed:
        rejected, redelivered = _judge_lines(
            conn, table, segments, max_record_bytes, personal, field_mappings, clock
        )
    with transaction(conn):
        run_script(conn, sql_file("raw/clear_partition.sql", entity=table), window)
        if landed:
            run_script(conn, sql_file("raw/replace_partition.sql", entity=table), params)
            # Only statements that have rows to write: binding the masking macros of the
            # quarantine and duplicate inserts costs ~60 ms of CPU a load even when nothing is
            # rejected or redelivered (most entities of most days).
            if rejected:
                run_script(conn, sql_file("raw/quarantine_rejected_lines.sql"), params)
            if redelivered:
                run_script(conn, sql_file("raw/record_duplicate_events.sql"), params)
        else:
            run_script(conn, sql_file("raw/record_unlanded_partition_loads.sql"), params)
        rows = conn.execute(sql_file("ops/read_partition_loads.sql"), window).fetchall()
        # The masking reads only the range's quarantine and duplicate rows, which this load has
        # just rebuilt: when the load put no line in either, it has nothing to mask, audit or
        # alert, and binding its macros alone costs ~0.2 s of CPU (the bench's clean register).
        if personal and any(load[4] or load[5] for load in rows):
            run_script(conn, sql_file("raw/mask_personal_data_in_quarantine.sql"), window)
    if landed:
        run_script(conn, sql_file("raw/drop_staged_lines.sql"))
    clock.lap("write")
    return [DayLoad(*row) for row in rows]


def _judge_lines(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    segments: Sequence[Path],
    max_record_bytes: int,
    personal: bool,
    field_mappings: Sequence,
    clock: _PhaseClock,
) -> tuple[bool, bool]:
    """Stage the segments' lines, screen and parse them, and judge each (``ranked_events``);
    whether any line was rejected, and whether any was a redelivery."""
    stage_landed_lines(conn, segments)
    if field_mappings:
        from hl_d365_assets.mapping_copilot.field_mappings import apply

        apply(conn, list(field_mappings))
    clock.lap("stage_lines")
    stage_card_number_findings(conn, max_record_bytes)
    if personal:
        run_script(
            conn,
            sql_file("raw/stage_personal_data_findings.sql"),
            {"max_record_bytes": max_record_bytes},
        )
    else:
        run_script(conn, sql_file("raw/stage_no_personal_data_findings.sql"))
    clock.lap("card_scan")
    run_script(
        conn, sql_file("raw/stage_screened_lines.sql"), {"max_record_bytes": max_record_bytes}
    )
    run_script(conn, sql_file(f"raw/parse_{table}.sql"))
    run_script(conn, sql_file("raw/stage_ranked_events.sql"))
    clock.lap("parse_and_rank")
    [(rejected, redelivered)] = conn.execute(sql_file("raw/count_ranked_outcomes.sql")).fetchall()
    return rejected, redelivered


class _PhaseClock:
    """Adds each phase's seconds to ``timings`` (when asked for) as the load goes."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def stage_card_number_findings(conn: duckdb.DuckDBPyConnection, max_record_bytes: int) -> None:
    """Stage the card-number screen's findings over ``landed_lines`` (``card_number_findings``):
    the suspect lines first, then the full test on them, or, when no line is a suspect (a clean
    entity's day), the empty result without binding the masking macros, ~20 ms of CPU a load."""
    run_script(
        conn,
        sql_file("raw/stage_card_number_suspects.sql"),
        {"max_record_bytes": max_record_bytes},
    )
    [(suspects,)] = conn.execute("SELECT count(*) FROM card_number_suspect_lines").fetchall()
    findings = "stage_card_number_findings" if suspects else "stage_no_card_number_findings"
    run_script(conn, sql_file(f"raw/{findings}.sql"))


def stage_landed_lines(conn: duckdb.DuckDBPyConnection, segments: Sequence[Path | str]) -> None:
    """Stage the segments' lines into the connection's ``landed_lines`` table: the one reader of
    landing segments that keeps lines, used by the raw load and by the payload_shape check on a
    drifted day, one its approved field mappings rewrite or one with a segment the fast path
    refuses (a clean day's field set is read straight from the segments with this reader's
    options, nothing staged). A temp table, so it needs
    nothing of the warehouse's catalog: a scratch connection (the field-rename evaluation) stages
    the same way."""
    run_script(conn, sql_file("raw/stage_landed_lines.sql"))
    _stage_lines(conn, [str(p) for p in segments])


def _stage_lines(conn: duckdb.DuckDBPyConnection, segments: list[str]) -> None:
    """Each segment goes through DuckDB's parallel line splitter in a statement of its own, so
    staging holds no more than the segment being read beyond the staged lines themselves (which
    spill past the memory budget). If the splitter refuses a segment (bad UTF-8, CR, its
    delimiter), that segment is split line by line; the rest still go through the fast path."""
    if not segments:
        return
    [(preserved,)] = conn.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    conn.execute("SET preserve_insertion_order = true").fetchall()
    try:
        for segment in segments:
            try:
                run_script(
                    conn, sql_file("raw/stage_landed_lines_from_segment.sql"), {"segment": segment}
                )
            except duckdb.InvalidInputException:
                irregular = conn.execute(
                    sql_file("raw/find_irregular_segments.sql"), {"segments": [segment]}
                ).fetchall()
                if not irregular:
                    raise
                _stage_irregular_segment(conn, Path(segment))
    finally:
        conn.execute(f"SET preserve_insertion_order = {bool(preserved)}").fetchall()


def _stage_irregular_segment(conn: duckdb.DuckDBPyConnection, segment: Path) -> None:
    """Stage an irregular segment line by line: good lines load as usual, lines that are not
    UTF-8 are quarantined as invalid_encoding with their bytes escaped, blank ones as malformed.
    Only such files take this path, so the per-line Python work never touches a healthy day."""
    data = segment.read_bytes()
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()  # the terminator of the last line, not a line of its own
    decoded = [_decode(line) for line in lines]
    conn.execute(
        sql_file("raw/stage_irregular_segment_lines.sql"),
        {
            "segment": str(segment),
            "lines": [text for text, _ in decoded],
            "valid": [valid for _, valid in decoded],
        },
    ).fetchall()


def _decode(line: bytes) -> tuple[str, bool]:
    try:
        return line.decode("utf-8"), True
    except UnicodeDecodeError:
        return line.decode("utf-8", "backslashreplace"), False


def quarantine_by_reason(
    conn: duckdb.DuckDBPyConnection, entity: str, first: date, last: date, source: str = SOURCE
) -> dict[str, int]:
    rows = conn.execute(
        sql_file("ops/count_quarantine_by_reason.sql"),
        {"source": source, "entity": entity, "first": first, "last": last},
    ).fetchall()
    return dict(rows)
