"""Load landed segments into the raw layer, set-based, one entity and business-day range at a time.

Each landed line ends in exactly one place (DESIGN.md, "Conservation"): its raw table, the
quarantine with a reason, or the duplicate ledger when an earlier delivery of the same event id
was loaded. The whole range is replaced in one transaction, so a re-run yields the same rows.
"""

from __future__ import annotations

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
) -> list[DayLoad]:
    """Stage, screen, parse and rank the segments' lines, then replace ``days`` of ``entity``.

    ``field_mappings``: the entity's approved field renames (mappings/field_mappings.csv), applied
    to the staged lines before anything reads them (docs/mapping-copilot.md)."""
    table = raw_table(source, entity)
    run_script(conn, sql_file("raw/stage_landed_lines.sql"))
    _stage_lines(conn, [str(p) for p in segments])
    if field_mappings:
        from hl_d365_assets.mapping_copilot.field_mappings import apply

        apply(conn, list(field_mappings))
    run_script(
        conn,
        sql_file("raw/stage_card_number_findings.sql"),
        {"max_record_bytes": max_record_bytes},
    )
    personal = source in PERSONAL_DATA_SOURCES
    if personal:
        run_script(
            conn,
            sql_file("raw/stage_personal_data_findings.sql"),
            {"max_record_bytes": max_record_bytes},
        )
    else:
        run_script(conn, sql_file("raw/stage_no_personal_data_findings.sql"))
    run_script(
        conn, sql_file("raw/stage_screened_lines.sql"), {"max_record_bytes": max_record_bytes}
    )
    run_script(conn, sql_file(f"raw/parse_{table}.sql"))
    run_script(conn, sql_file("raw/stage_ranked_events.sql"))
    params = {
        "source": source,
        "entity": entity,
        "first": min(days),
        "last": max(days),
        "days": list(days),
    }
    with transaction(conn):
        run_script(conn, sql_file("raw/replace_partition.sql", entity=table), params)
        if personal:
            run_script(
                conn,
                sql_file("raw/mask_personal_data_in_quarantine.sql"),
                {k: params[k] for k in ("source", "entity", "first", "last")},
            )
    rows = conn.execute(
        sql_file("ops/read_partition_loads.sql"),
        {k: params[k] for k in ("source", "entity", "first", "last")},
    ).fetchall()
    run_script(conn, sql_file("raw/drop_staged_lines.sql"))
    return [DayLoad(*row) for row in rows]


def _stage_lines(conn: duckdb.DuckDBPyConnection, segments: list[str]) -> None:
    """All segments go through DuckDB's parallel line splitter in one statement. If it refuses
    (bad UTF-8, CR, its delimiter), the irregular segments are found and split line by line,
    and the rest still go through the fast path."""
    if not segments:
        return
    [(preserved,)] = conn.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    conn.execute("SET preserve_insertion_order = true").fetchall()
    try:
        run_script(
            conn, sql_file("raw/stage_landed_lines_from_segments.sql"), {"segments": segments}
        )
    except duckdb.InvalidInputException:
        irregular = {
            path
            for (path,) in conn.execute(
                sql_file("raw/find_irregular_segments.sql"), {"segments": segments}
            ).fetchall()
        }
        regular = [path for path in segments if path not in irregular]
        if regular:
            run_script(
                conn, sql_file("raw/stage_landed_lines_from_segments.sql"), {"segments": regular}
            )
        for path in sorted(irregular):
            _stage_irregular_segment(conn, Path(path))
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
