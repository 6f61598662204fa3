"""The review queue, ``ops.mapping_suggestions``: refreshing the open suggestions from what the
checks report unmapped, and a person's approval or rejection.

Approving is the only way a suggestion reaches a journal: it appends the row to the mapping file
(through :mod:`~hl_d365_assets.mapping_files`, the one writer of the mapping files), and the
days held for the value are then re-materialised from the landing zone
(:mod:`~hl_d365_assets.mapping_copilot.replay`), which read the file like any other mapping. The table itself maps nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.mapping_copilot import field_mappings, product_matches
from hl_d365_assets.mapping_copilot.evidence import evidence_for
from hl_d365_assets.mapping_copilot.kinds import (
    KINDS,
    normalised,
    read_rows,
    targets_for,
    value_texts,
)
from hl_d365_assets.mapping_copilot.language_model import (
    CANDIDATES_SHOWN,
    LanguageModelAdvisor,
    target_problem,
)
from hl_d365_assets.mapping_copilot.suggestions import TOP, suggest
from hl_d365_assets.mapping_files import append_row
from hl_d365_assets.warehouse import sql_file, transaction

STATUSES = ("open", "approved", "rejected")
NO_SUGGESTION = "no suggestion: nothing in the mapping files or data points to a target"
"""What the list says of a value :func:`unsuggested_values` returns."""


class DecisionRefused(RuntimeError):
    """The suggestion cannot be decided: unknown id, already decided, or its row is no longer
    valid against the mapping files."""


@dataclass(frozen=True)
class RefreshReport:
    values: int
    suggestions: int
    awaiting_replay: list[str]
    """Values a row was already approved for, whose days have not been re-materialised yet."""


@dataclass(frozen=True)
class Approval:
    suggestion_id: str
    mapping_file: str
    line: str
    valid_from: date
    held_business_dates: list[date]
    replay_job: str
    replay_assets: tuple[str, ...] = ()
    """Unpartitioned assets the replay rebuilds whole instead of the held days' partitions."""


def suggestion_id(kind: str, context: str, value: str, target: tuple) -> str:
    digest = hashlib.md5(f"{kind}|{context}|{value}|{target}".encode()).hexdigest()
    return "MS_" + digest[:16].upper()


def _header(mappings_dir: Path, file: str) -> list[str]:
    with (mappings_dir / file).open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _already_mapped(mappings_dir: Path, kind_name: str, context: str, value: str) -> bool:
    """A row for the value is in the file for all of the data (a store's own row maps only that
    store's records, so the value stays unmapped for the others)."""
    kind = KINDS[kind_name][0]
    rows = kind.rows_in_context(read_rows(mappings_dir, kind.file), context)
    return any(
        normalised(kind.key_of(r)[1]) == normalised(value)
        and not any((r.get(c) or "").strip() for c in kind.scope_columns)
        for r in rows
    )


def _named(kind_name: str, context: str, value: str) -> str:
    return f"{kind_name} {context} {value}".replace("  ", " ")


def unsuggested_values(conn: duckdb.DuckDBPyConnection, mappings_dir: Path) -> list[str]:
    """Values the checks report unmapped now with no suggestion in the queue (open or decided)
    and no row in their file yet: the ones nothing pointed to when the queue was refreshed."""
    suggested = {
        (s["mapping_kind"], s["context"], s["unmapped_value"]) for s in list_suggestions(conn, None)
    }
    return [
        _named(kind_name, context, value)
        for kind_name, context, value, _, _ in conn.execute(
            sql_file("ops/list_unmapped_values.sql")
        ).fetchall()
        if (kind_name, context, value) not in suggested
        and not _already_mapped(mappings_dir, kind_name, context, value)
    ]


def refresh(
    conn: duckdb.DuckDBPyConnection,
    mappings_dir: Path,
    advisor: LanguageModelAdvisor | None = None,
) -> RefreshReport:
    """Replace the open suggestions with up to three per value the checks report unmapped now."""
    unmapped = conn.execute(sql_file("ops/list_unmapped_values.sql")).fetchall()
    stored = awaiting = 0
    awaiting_values: list[str] = []
    rows: list[dict] = []
    for kind_name, context, value, days, records in unmapped:
        kind = KINDS[kind_name][0]
        if _already_mapped(mappings_dir, kind_name, context, value):
            awaiting += 1
            awaiting_values.append(_named(kind_name, context, value))
            continue
        if kind_name == product_matches.KIND:
            ranked = product_matches.suggest_skus(conn, value, CANDIDATES_SHOWN)
            targets = [s.target for s in ranked]
        else:
            targets = targets_for(mappings_dir, kind_name, context)
            ranked = suggest(
                value_texts(mappings_dir, kind_name, context, value),
                targets,
                evidence_for(conn, kind_name, context, value, mappings_dir),
                top=CANDIDATES_SHOWN,
            )
        final = (
            advisor.advise(mappings_dir, (kind_name, kind.file, context, value), ranked, targets)
            if advisor is not None
            else ranked[:TOP]
        )
        header = _header(mappings_dir, kind.file)
        for rank, chosen in enumerate(final, 1):
            sid = suggestion_id(kind_name, context, value, chosen.target.values)
            row = kind.new_row(
                header, context, value, chosen.target, f"{value} (mapping suggestion {sid})", ""
            )
            rows.append(
                {
                    "suggestion_id": sid,
                    "mapping_kind": kind_name,
                    "mapping_file": kind.file,
                    "context": context,
                    "unmapped_value": value,
                    "suggestion_rank": rank,
                    "confidence": chosen.confidence,
                    "reason": chosen.reason,
                    "target": chosen.target.label,
                    "proposed_row": json.dumps(row),
                    "source": chosen.source,
                    "held_business_dates": list(days),
                    "held_records": records,
                    "replay_job": kind.replay_job,
                }
            )
    # Changed payload formats: field renames for the drift the payload_shape checks recorded.
    renames = field_mappings.suggestion_rows(conn, mappings_dir, suggestion_id)
    rows += renames
    with transaction(conn):
        conn.execute(sql_file("ops/delete_open_mapping_suggestions.sql")).fetchall()
        for row in rows:
            conn.execute(sql_file("ops/insert_mapping_suggestion.sql"), row).fetchall()
            stored += 1
    fields = len({(r["context"], r["unmapped_value"]) for r in renames})
    return RefreshReport(len(unmapped) - awaiting + fields, stored, awaiting_values)


def list_suggestions(conn: duckdb.DuckDBPyConnection, status: str | None = "open") -> list[dict]:
    cursor = conn.execute(sql_file("ops/list_mapping_suggestions.sql"), {"status": status})
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one(conn: duckdb.DuckDBPyConnection, sid: str) -> dict:
    found = [s for s in list_suggestions(conn, None) if s["suggestion_id"] == sid]
    if not found:
        raise DecisionRefused(f"no mapping suggestion {sid} (hl-d365 mappings list shows them)")
    if found[0]["status"] != "open":
        raise DecisionRefused(
            f"{sid} is {found[0]['status']} (by {found[0]['decided_by']} at "
            f"{found[0]['decided_at']}); only an open suggestion can be decided"
        )
    return found[0]


def approve(
    conn: duckdb.DuckDBPyConnection,
    mappings_dir: Path,
    sid: str,
    decided_by: str,
    valid_from: date | None = None,
    note: str | None = None,
) -> Approval:
    """Write the suggestion's row into its mapping file and record who approved it when. The
    row's ``valid_from`` is the first held day unless given, so every held day maps."""
    suggestion = _one(conn, sid)
    row = json.loads(suggestion["proposed_row"])
    if suggestion["mapping_kind"] == field_mappings.KIND:
        file, unique_by = field_mappings.FILE, field_mappings.KEY_COLUMNS
        row["approved_by"] = decided_by
    else:
        kind = KINDS[suggestion["mapping_kind"]][0]
        file, unique_by = kind.file, (*kind.key_columns, *kind.scope_columns)
        problem = target_problem(mappings_dir, {c: row[c] for c in kind.target_columns})
        if problem:
            raise DecisionRefused(f"{sid} cannot be approved: {problem}")
    days = sorted(suggestion["held_business_dates"])
    start = valid_from or days[0]
    if "valid_from" in row:
        row["valid_from"] = start.isoformat()
    with transaction(conn):
        conn.execute(
            sql_file("ops/decide_mapping_suggestion.sql"),
            {"suggestion_id": sid, "status": "approved", "decided_by": decided_by,
             "note": note, "valid_from": start},
        ).fetchall()  # fmt: skip
        conn.execute(
            sql_file("ops/reject_sibling_mapping_suggestions.sql"),
            {"suggestion_id": sid, "decided_by": decided_by},
        ).fetchall()
        # The file last: if it refuses (the mapping is already there), the decision rolls back.
        line = append_row(mappings_dir / file, row, (*unique_by, "valid_from"))
    replay_assets = (
        KINDS[suggestion["mapping_kind"]][0].replay_assets
        if suggestion["mapping_kind"] in KINDS
        else ()
    )
    return Approval(sid, file, line, start, days, suggestion["replay_job"], replay_assets)


def reject(
    conn: duckdb.DuckDBPyConnection, sid: str, decided_by: str, note: str | None = None
) -> None:
    _one(conn, sid)
    with transaction(conn):
        conn.execute(
            sql_file("ops/decide_mapping_suggestion.sql"),
            {"suggestion_id": sid, "status": "rejected", "decided_by": decided_by,
             "note": note, "valid_from": None},
        ).fetchall()  # fmt: skip
