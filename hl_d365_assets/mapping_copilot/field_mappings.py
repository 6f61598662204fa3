"""Changed payload formats (issue 19, item 3): the payload contract of each raw entity, the day's
drift from it, suggested field renames, and the approved renames the raw loader applies.

- **The contract** is what the parser reads: the ``from_json`` shapes of
  ``sql/raw/parse_<table>.sql``, every place and every variant it reads a field from. So a known
  variant (GP-API's ``masked_number_first6last4`` or ``masked_number_last4`` with ``bin``) is in
  the contract and never drift; a field the parser reads as ``JSON`` accepts anything beneath it.
- **Drift** (:func:`day_drift`): fields a day's lines carry that the contract does not know
  (new), and the contract fields at the same place that are missing on every line carrying a new
  one while other lines of the day or the week before carry them (vanished: the rename's other
  half). Names, JSON types, counts and value profiles only —
  never a value, since lines may carry card or personal data.
- **Suggestions** (:func:`suggestion_rows`): for each new field, the vanished fields scored by
  name similarity (the co-pilot's :func:`~hl_d365_assets.mapping_copilot.similarity.text_match`)
  and value-profile similarity, with a one-to-one greedy assignment (scipy is not in the lock),
  stored in ``ops.mapping_suggestions`` as ``field_rename`` next to the value mappings.
- **Approved renames** live in ``mappings/field_mappings.csv`` (versioned: ``valid_from``,
  ``approved_by``); :func:`apply` renames the key in the staged lines before they are screened
  and parsed. The landing segments are never rewritten, so replaying a day re-reads them.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import duckdb

from hl_d365_assets.mapping_copilot.similarity import text_match
from hl_d365_assets.raw_loader import (
    BANK_SOURCE,
    PAYROLL_SOURCE,
    raw_table,
    segment_day,
    stage_landed_lines,
)
from hl_d365_assets.warehouse import SQL_DIR, run_script, sql_file

FILE = "field_mappings.csv"
KIND = "field_rename"
KEY_COLUMNS = ("source", "entity", "landed_field")
MIN_SCORE = 0.45
"""Below this a vanished field is not proposed for a new one at all."""
PROFILE_LOOKBACK_DAYS = 7
"""A vanished field absent all day is profiled from the entity's earlier landed days."""
_SPEC = re.compile(r"from_json\(line,\s*'(.*?)'\s*\)", re.S)
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_READ_PAST = re.compile(r"^-- Contract, read past: (.+)$", re.M)
"""A parse file's declaration of fields the source sends and the parser deliberately skips (a
cardholder name, audit timestamps): in the contract, anything beneath them too."""


@dataclass(frozen=True)
class Contract:
    fields: frozenset[str]
    """Every path the parser reads (objects too), arrays as ``[*]``, without ``$.``."""
    open_fields: tuple[str, ...]
    """Fields read as ``JSON`` or declared read past: they and anything beneath are accepted."""

    def knows(self, field: str) -> bool:
        return field in self.fields or any(
            field == p or field.startswith(p + ".") or field.startswith(p + "[")
            for p in self.open_fields
        )

    def is_new(self, field: str) -> bool:
        """Unknown and the topmost unknown: a new object is one change, not one per key."""
        return not self.knows(field) and (not parent(field) or self.knows(parent(field)))

    @property
    def object_paths(self) -> list[str]:
        """JSON paths of the root and of the known fields that hold others, outside arrays (a
        JSON path list cannot hold a wildcard): read_payload_fields_from_segments.sql takes the
        keys there as a line's field set when those are its only objects."""
        holders = {parent(f) for f in self.fields} - {""}
        return ["$"] + [
            "$." + ".".join(f'"{key}"' for key in holder.split("."))
            for holder in sorted(holders)
            if _PLAIN_PATH.fullmatch(holder)
        ]


@cache
def contract(source: str, entity: str) -> Contract:
    """The union of the ``from_json`` shapes in the entity's parse SQL."""
    text = (SQL_DIR / "raw" / f"parse_{raw_table(source, entity)}.sql").read_text()
    fields: set[str] = set()
    open_fields: list[str] = []

    def walk(spec: object, prefix: str) -> None:
        if isinstance(spec, dict):
            for key, sub in spec.items():
                path = f"{prefix}.{key}" if prefix else key
                fields.add(path)
                walk(sub, path)
        elif isinstance(spec, list) and spec:
            fields.add(prefix + "[*]")
            walk(spec[0], prefix + "[*]")
        elif isinstance(spec, str):
            if spec.upper() == "JSON":
                open_fields.append(prefix)
            elif spec.endswith("[]"):
                fields.add(prefix + "[*]")

    for spec in _SPEC.findall(text):
        walk(json.loads(spec), "")
    for declared in _READ_PAST.findall(text):
        open_fields += [f.strip() for f in declared.split(",") if f.strip()]
    return Contract(frozenset(fields), tuple(open_fields))


def _last_dot(field: str) -> int:
    """Where ``field``'s last key starts, less one: its last dot outside a quoted key (payload_shape
    names a key that is not plain as a JSON string, ``payload."a.b"``, whose dots and escaped
    quotes are part of the key); -1 when it is one key."""
    last, quoted, escaped = -1, False, False
    for position, char in enumerate(field):
        if escaped:
            escaped = False
        elif quoted:
            escaped, quoted = char == "\\", char != '"'
        elif char == '"':
            quoted = True
        elif char == ".":
            last = position
    return last


def parent(field: str) -> str:
    return field[: max(_last_dot(field), 0)]


def leaf(field: str) -> str:
    return field[_last_dot(field) + 1 :]


@dataclass(frozen=True)
class Profile:
    json_type: str | None
    mean_length: float | None
    digit_share: float | None
    letter_share: float | None
    distinct_ratio: float | None

    def similarity(self, other: Profile) -> float | None:
        """1 = alike in every measure; None when either side has no values to compare."""
        if self.mean_length is None or other.mean_length is None:
            return None
        longer = max(self.mean_length, other.mean_length) or 1.0
        parts = [
            1.0 if self.json_type == other.json_type else 0.0,
            min(self.mean_length, other.mean_length) / longer,
            1 - abs(self.digit_share - other.digit_share),
            1 - abs(self.letter_share - other.letter_share),
            1 - abs(self.distinct_ratio - other.distinct_ratio),
        ]
        return sum(parts) / len(parts)


@dataclass(frozen=True)
class Drift:
    field: str
    change: str
    json_type: str | None
    lines: int
    profile: Profile


def _profiles(conn: duckdb.DuckDBPyConnection, fields: list[str]) -> dict[str, Profile]:
    """Value profiles of ``fields`` over the staged lines."""
    if not fields:
        return {}
    run_script(conn, sql_file("raw/stage_payload_field_profiles.sql"), {"fields": fields})
    rows = conn.execute(sql_file("raw/read_payload_field_profiles.sql")).fetchall()
    return {row[0]: Profile(*row[1:]) for row in rows}


NO_PROFILE = Profile(None, None, None, None, None)


def _stage(
    conn: duckdb.DuckDBPyConnection, segments: Sequence[Path], mappings: Sequence[FieldMapping]
) -> None:
    """The lines as the raw loader stages them (its one segment reader), with the approved
    mappings applied as the load applies them: the check sees what the parser sees."""
    stage_landed_lines(conn, segments)
    apply(conn, list(mappings))


def landed_fields(
    conn: duckdb.DuckDBPyConnection, base: Contract, segments: Sequence[Path]
) -> list[str] | None:
    """Every field path the day's lines carry, read straight from the segments (nothing
    staged); None when the reader refuses a segment (bad UTF-8, CR, SOH), whose lines only the
    loader's irregular path stages as the load counts them."""
    try:
        rows = conn.execute(
            sql_file("raw/read_payload_fields_from_segments.sql"),
            {"segments": [str(p) for p in segments], "object_paths": base.object_paths},
        ).fetchall()
    except duckdb.InvalidInputException:
        return None
    return [field for (field,) in rows]


def _rewritten(segments: Sequence[Path], mappings: Sequence[FieldMapping]) -> bool:
    """Whether an approved mapping applies to some segment's day (the load rewrites its lines
    from ``valid_from`` on, by the day its path names), so the shape must be read from the
    rewritten, staged copy."""
    first = min((m.valid_from for m in mappings), default=None)
    return first is not None and any(
        (day := segment_day(p)) is not None and day >= first for p in segments
    )


def _pairable(new: str, old: str) -> bool:
    """A contract field the new one may stand for: a sibling (renamed in its object) or one of
    the same name elsewhere (moved to another object)."""
    if old == new or old.endswith("[*]"):
        return False
    return parent(old) == parent(new) or leaf(old) == leaf(new)


def day_drift(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    entity: str,
    segments: Sequence[Path],
    earlier_segments: Sequence[Path] = (),
    mappings: Sequence[FieldMapping] = (),
) -> list[Drift]:
    """The day's new and vanished fields (set-based over its landed lines), with profiles.

    A clean day (most days) is one read of its segments for their field set, nothing staged
    (read_payload_fields_from_segments.sql: staging the 1,000,000-line benchmark day cost more
    than the shape, and json_structure of every line most of the rest). The day is staged and
    shaped as before, read once for shape, vanished fields and profiles, when that field set
    holds a new field, when an approved mapping rewrites the day's lines, or when the reader
    refuses a segment (the loader's irregular path stages it line by line). The week before is
    staged only when a vanished field is missing all day.
    ``mappings``: the entity's approved field mappings, applied to the staged copy as the raw
    load applies them, so a landed field they map is no longer drift from ``valid_from`` on."""
    if not segments:
        return []
    base = contract(source, entity)
    if not _rewritten(segments, mappings):
        landed = landed_fields(conn, base, segments)
        if landed is not None and not any(base.is_new(field) for field in landed):
            return []
    _stage(conn, segments, mappings)
    try:
        run_script(conn, sql_file("raw/stage_payload_shape.sql"))
        shape = conn.execute(sql_file("raw/read_payload_shape.sql")).fetchall()
        seen = {field for field, _, _ in shape}
        new = [(field, json_type, lines) for field, json_type, lines in shape if base.is_new(field)]
        if not new:
            return []
        new_objects = {field for field, json_type, _ in new if json_type in ("OBJECT", "ARRAY")}
        # The values beneath a new object: each may be a contract field moved into it.
        beneath = [
            (field, json_type, lines)
            for field, json_type, lines in shape
            if json_type not in ("OBJECT", "ARRAY")
            and any(field.startswith(o + ".") or field.startswith(o + "[") for o in new_objects)
        ]
        landed = [field for field, _, _ in new + beneath]
        pairs = [(n, old) for n in landed for old in sorted(base.fields) if _pairable(n, old)]
        absent: dict[str, int] = {}
        if pairs:
            for _, old, lines in conn.execute(
                sql_file("raw/count_vanished_fields.sql"),
                {"new_fields": [n for n, _ in pairs], "old_fields": [o for _, o in pairs]},
            ).fetchall():
                absent[old] = max(absent.get(old, 0), lines)
        vanished = sorted(absent)
        profiles = _profiles(conn, landed + [v for v in vanished if v in seen])
    finally:
        run_script(conn, sql_file("raw/drop_landed_lines.sql"))
    missing = [v for v in vanished if v not in profiles]
    if missing and earlier_segments:
        _stage(conn, earlier_segments, mappings)
        try:
            profiles |= {f: p for f, p in _profiles(conn, missing).items() if f not in profiles}
        finally:
            run_script(conn, sql_file("raw/drop_landed_lines.sql"))
    drifts = [Drift(n, "new", t, lines, profiles.get(n, NO_PROFILE)) for n, t, lines in new]
    drifts += [
        Drift(n, "new_beneath", t, lines, profiles.get(n, NO_PROFILE)) for n, t, lines in beneath
    ]
    # Vanished only with evidence that the field was being sent: other lines of the day or the
    # earlier days carry it. A contract field never seen is a variant this source does not use
    # (GP-API report-row fields on a transactions day): a rename candidate ("absent") when
    # nothing better exists, never reported as drift.
    drifts += [
        Drift(v, "vanished" if v in profiles else "absent",
              (profiles.get(v) or NO_PROFILE).json_type, absent[v], profiles.get(v, NO_PROFILE))
        for v in vanished
    ]  # fmt: skip
    return drifts


def earlier_segments(landing_zone, source: str, entity: str, day: date) -> list[Path]:
    """The entity's segments of the days before ``day`` (a week at most), for profiles."""
    return [
        path
        for back in range(1, PROFILE_LOOKBACK_DAYS + 1)
        for path in landing_zone.segments(source, entity, day - timedelta(days=back))
    ]


def record_drift(
    conn: duckdb.DuckDBPyConnection, source: str, entity: str, day: date, drifts: list[Drift]
) -> None:
    """Replace the day's rows in ``ops.payload_drift`` (the caller holds the transaction)."""
    params = {"source": source, "entity": entity, "business_date": day}
    conn.execute(sql_file("ops/delete_payload_drift.sql"), params).fetchall()
    for d in drifts:
        conn.execute(
            sql_file("ops/insert_payload_drift.sql"),
            {
                **params,
                "field": d.field,
                "change": d.change,
                "json_type": d.json_type,
                "lines": d.lines,
                "mean_length": d.profile.mean_length,
                "digit_share": d.profile.digit_share,
                "letter_share": d.profile.letter_share,
                "distinct_ratio": d.profile.distinct_ratio,
            },
        ).fetchall()


@dataclass(frozen=True)
class Candidate:
    landed_field: str
    contract_field: str
    score: float
    reason: str


def rank_renames(new: list[Drift], vanished: list[Drift]) -> dict[str, list[Candidate]]:
    """For each new field, its candidates best first; the first is the one-to-one assignment.

    The assignment is greedy on the pair scores (best pair first, each field used once), which
    is exact for the one or two renames a payload change brings; the others follow by score."""
    pairs: list[Candidate] = []
    for n in new:
        for v in vanished:
            if not _pairable(n.field, v.field):
                continue
            name = text_match((leaf(n.field),), (leaf(v.field),))
            profile = n.profile.similarity(v.profile)
            score = name.score if profile is None else 0.5 * name.score + 0.5 * profile
            if score < MIN_SCORE:
                continue
            moved = parent(n.field) != parent(v.field)
            arrived, where = (n.field, v.field) if moved else (leaf(n.field), leaf(v.field))
            reason = (
                f'"{arrived}" arrived where "{where}" is missing on {v.lines} line(s)'
                + (" (moved to another object)" if moved else "")
                + f": name similarity {name.name_similarity:.2f}, 3-gram cosine "
                f"{name.ngram_cosine:.2f}, value profile "
                + ("not available" if profile is None else f"similarity {profile:.2f}")
            )
            pairs.append(Candidate(n.field, v.field, round(score, 3), reason))
    pairs.sort(key=lambda c: (-c.score, c.landed_field, c.contract_field))
    assigned: dict[str, Candidate] = {}
    used: set[str] = set()
    for c in pairs:
        if c.landed_field not in assigned and c.contract_field not in used:
            assigned[c.landed_field] = c
            used.add(c.contract_field)
    ranked: dict[str, list[Candidate]] = {}
    for n in new:
        first = assigned.get(n.field)
        rest = [c for c in pairs if c.landed_field == n.field and c is not first]
        ranked[n.field] = ([first] if first else []) + rest
    return ranked


@dataclass(frozen=True)
class FieldMapping:
    source: str
    entity: str
    landed_field: str
    contract_field: str
    valid_from: date
    approved_by: str


def read(mappings_dir: Path, source: str | None = None, entity: str | None = None):
    """The approved renames (all, or one entity's), oldest first."""
    path = Path(mappings_dir) / FILE
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            FieldMapping(
                r["source"],
                r["entity"],
                r["landed_field"],
                r["contract_field"],
                date.fromisoformat(r["valid_from"]),
                r["approved_by"],
            )
            for r in csv.DictReader(handle)
        ]
    return sorted(
        (r for r in rows if source in (None, r.source) and entity in (None, r.entity)),
        key=lambda r: r.valid_from,
    )


def apply(conn: duckdb.DuckDBPyConnection, mappings: list[FieldMapping]) -> None:
    """Apply the approved mappings to ``landed_lines`` (staged by the raw loader), one statement
    per mapping, in the order approved. A key renamed in its object is rewritten in place
    (apply_field_mapping.sql; inside array elements, apply_field_mapping_in_arrays.sql); a field
    moved to another object is taken out of the one it landed in and written into the
    contract's (apply_field_move.sql; outside arrays only). Either way only text around the value
    moves, never the value's own bytes, and a line the rewrite cannot apply to keeps its shape
    and stays quarantined, counted."""
    for m in mappings:
        if parent(m.landed_field) == parent(m.contract_field):
            in_arrays = "[" in m.landed_field
            conn.execute(
                sql_file(
                    "raw/apply_field_mapping_in_arrays.sql"
                    if in_arrays
                    else "raw/apply_field_mapping.sql"
                ),
                {
                    "landed_path": "$." + m.landed_field,
                    "contract_path": "$." + m.contract_field,
                    "old_key": re.escape(leaf(m.landed_field)),
                    "new_key": leaf(m.contract_field),
                    "valid_from": m.valid_from,
                },
            ).fetchall()
        elif "[" not in m.landed_field + m.contract_field:
            _apply_move(conn, m)


def _key(field: str) -> str:
    """The regex for a field's key as it is written in a line."""
    return '"' + re.escape(leaf(field)) + '"'


def _apply_move(conn: duckdb.DuckDBPyConnection, m: FieldMapping) -> None:
    """A field moved to another object (outside arrays): the landed key and its scalar value are
    cut out of their object, which is dropped if that left it empty, and written first into the
    contract field's object, which the line must hold (root or a key named once)."""
    landed_parent, target = parent(m.landed_field), parent(m.contract_field)
    conn.execute(
        sql_file("raw/apply_field_move.sql"),
        {
            "landed_path": "$." + m.landed_field,
            "contract_path": "$." + m.contract_field,
            "landed_key": _key(m.landed_field),
            "landed_parent_path": "$." + landed_parent if landed_parent else "$",
            "landed_parent_key": _key(landed_parent) if landed_parent else "",
            "target_path": "$." + target if target else "$",
            "target_key": _key(target) if target else "",
            "contract_key": json.dumps(leaf(m.contract_field)),
            "valid_from": m.valid_from,
        },
    ).fetchall()


def replay_job(source: str) -> str:
    return "payroll_job" if source in (PAYROLL_SOURCE, BANK_SOURCE) else "daily_heartland_job"


def suggestion_rows(conn: duckdb.DuckDBPyConnection, mappings_dir: Path, sid) -> list[dict]:
    """``ops.mapping_suggestions`` rows for the drift recorded in ``ops.payload_drift`` that no
    approved rename covers yet (``sid`` makes the id as the co-pilot does)."""
    rows = conn.execute(sql_file("ops/list_payload_drift.sql")).fetchall()
    by_entity: dict[tuple[str, str], list] = {}
    for row in rows:
        by_entity.setdefault((row[0], row[1]), []).append(row)
    approved = {(m.source, m.entity, m.landed_field) for m in read(mappings_dir)}
    out: list[dict] = []
    for (source, entity), drift_rows in sorted(by_entity.items()):

        def drift(r: tuple) -> Drift:
            return Drift(r[2], r[3], r[4], r[5], Profile(r[4], *r[6:10]))

        # A value beneath a new object may be a contract field moved into it.
        new = [drift(r) for r in drift_rows if r[3] in ("new", "new_beneath")]
        vanished = [drift(r) for r in drift_rows if r[3] == "vanished"]
        vanished += [
            drift(r)
            for r in drift_rows
            if r[3] == "absent" and not any(parent(v.field) == parent(r[2]) for v in vanished)
        ]
        days = {r[2]: sorted(r[10]) for r in drift_rows if r[3] in ("new", "new_beneath")}
        context = f"{source}/{entity}"
        for landed, candidates in rank_renames(new, vanished).items():
            if (source, entity, landed) in approved:
                continue
            held = next(d for d in new if d.field == landed)
            for rank, c in enumerate(candidates[:3], 1):
                row = {
                    "source": source,
                    "entity": entity,
                    "landed_field": landed,
                    "contract_field": c.contract_field,
                    "valid_from": "",
                    "approved_by": "",
                    "note": "",
                }
                suggestion = sid(KIND, context, landed, (c.contract_field,))
                row["note"] = f"field rename suggestion {suggestion}"
                out.append(
                    {
                        "suggestion_id": suggestion,
                        "mapping_kind": KIND,
                        "mapping_file": FILE,
                        "context": context,
                        "unmapped_value": landed,
                        "suggestion_rank": rank,
                        "confidence": c.score,
                        "reason": c.reason,
                        "target": c.contract_field,
                        "proposed_row": json.dumps(row),
                        "source": "offline",
                        "held_business_dates": days[landed],
                        "held_records": held.lines,
                        "replay_job": replay_job(source),
                    }
                )
    return out
