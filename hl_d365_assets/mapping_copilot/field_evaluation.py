"""How good the field-rename suggestions are (issue 19, item 5 for item 3): hold out a fraction of
the fields a landed day carries, rename each as API versions rename fields, and count how often
the suggestion for the new name is the field it replaced (top-1) or among the three (top-3).

Each trial is a copy of the day's lines in which, from mid-day on, one field arrives under its
new name (the first half keeps the old one, as a gateway rolling out a new API version does); the
copy goes through the same :func:`~hl_d365_assets.mapping_copilot.field_mappings.day_drift` and
:func:`~hl_d365_assets.mapping_copilot.field_mappings.rank_renames` a real day does. The renames
are made by rule, in the styles a payload change brings (camelCase, abbreviated words, an added
qualifier): no landed payload with a real rename is on record, so these stand in for one.
Deterministic: which fields are held out is a hash of (seed, entity, field).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.mapping_copilot.field_mappings import (
    contract,
    day_drift,
    leaf,
    parent,
    rank_renames,
)
from hl_d365_assets.raw_loader import SOURCES, stage_landed_lines
from hl_d365_assets.warehouse import run_script, sql_file

ABBREVIATIONS = {
    "amount": "amt", "number": "num", "reference": "ref", "transaction": "txn",
    "description": "desc", "currency": "ccy", "merchant": "mer", "quantity": "qty",
    "account": "acct", "identifier": "ident", "customer": "cust", "location": "loc",
    "created": "crtd", "updated": "upd", "payment": "pmt", "status": "stat",
    "first": "fst", "last": "lst", "name": "nm", "time": "tm", "date": "dt", "code": "cd",
}  # fmt: skip


def camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def abbreviated(name: str) -> str:
    return "_".join(ABBREVIATIONS.get(part, part) for part in name.split("_"))


def qualified(name: str) -> str:
    return name + "_value"


STYLES = {"camelCase": camel_case, "abbreviated": abbreviated, "qualified": qualified}


@dataclass
class Score:
    held_out: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[str] = field(default_factory=list)


@dataclass
class FieldRenameReport:
    fraction: float
    seed: int
    day: date
    mid_day: bool
    by_entity: dict[str, Score]

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.by_entity.values())

    @property
    def top1(self) -> float:
        return self.total("top1") / max(1, self.total("held_out"))

    @property
    def top3(self) -> float:
        return self.total("top3") / max(1, self.total("held_out"))

    def lines(self) -> list[str]:
        out = [
            f"held out {self.fraction:.0%} of the fields landed on {self.day} (seed {self.seed}),"
            f" each renamed {len(STYLES)} ways ({', '.join(STYLES)}) "
            + ("from mid-day on" if self.mid_day else "all day, no earlier day")
            + ": "
            f"{self.total('held_out')} renames",
            f"{'raw entity':<32} {'renames':>8} {'top-1':>7} {'top-3':>7}",
        ]
        for name, s in self.by_entity.items():
            n = max(1, s.held_out)
            out.append(f"{name:<32} {s.held_out:>8} {s.top1 / n:>7.1%} {s.top3 / n:>7.1%}")
        out.append(f"{'all':<32} {self.total('held_out'):>8} {self.top1:>7.1%} {self.top3:>7.1%}")
        return out


def _held(seed: int, entity: str, name: str, fraction: float) -> bool:
    digest = hashlib.sha256(f"{seed}|{entity}|{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def _renamed_copy(lines: list[str], field: str, new_leaf: str, mid_day: bool) -> list[str]:
    """The lines with ``field`` (a path) renamed ``new_leaf`` from mid-day on (or all day), in
    place in its object (key order kept; numbers kept as written, via Decimal)."""
    half = len(lines) // 2 if mid_day else 0
    out = lines[:half]
    for text in lines[half:]:
        try:
            record = json.loads(text, parse_float=Decimal)
        except ValueError:
            out.append(text)
            continue
        node = record
        for part in parent(field).split(".") if parent(field) else []:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf(field) in node:
            items = [(new_leaf if k == leaf(field) else k, v) for k, v in node.items()]
            node.clear()
            node.update(items)
        out.append(json.dumps(record, default=str))
    return out


def evaluate_field_renames(
    landing_dir: Path, day: date, fraction: float = 0.3, seed: int = 19, mid_day: bool = True
) -> FieldRenameReport:
    """``mid_day``: the rename arrives from mid-day on, so the old name's values are profiled
    from the day's first half. Otherwise the whole day arrives renamed and no earlier day is
    shown: the name alone decides among every contract field missing there (the floor)."""
    zone = LandingZone(landing_dir)
    report = FieldRenameReport(fraction, seed, day, mid_day, defaultdict(Score))
    with duckdb.connect() as conn, tempfile.TemporaryDirectory() as scratch:
        for source, entities in SOURCES.items():
            for entity in entities:
                segments = zone.segments(source, entity, day)
                if not segments:
                    continue
                lines = [ln for p in segments for ln in p.read_text(errors="replace").splitlines()]
                stage_landed_lines(conn, segments)
                run_script(conn, sql_file("raw/stage_payload_shape.sql"))
                known = contract(source, entity)
                fields = [
                    f
                    for (f,) in conn.execute(
                        sql_file("raw/list_payload_scalar_fields.sql")
                    ).fetchall()
                    if f in known.fields and _held(seed, f"{source}/{entity}", f, fraction)
                ]
                score = report.by_entity[f"{source}/{entity}"]
                for name in fields:
                    for style in STYLES.values():
                        new_leaf = style(leaf(name))
                        if new_leaf == leaf(name):
                            continue
                        new = f"{parent(name)}.{new_leaf}" if parent(name) else new_leaf
                        # A new file per trial: DuckDB may cache a file it has read by name.
                        copy = Path(scratch) / f"business_date={day}" / f"{score.held_out}.ndjson"
                        copy.parent.mkdir(exist_ok=True)
                        copy.write_text(
                            "\n".join(_renamed_copy(lines, name, new_leaf, mid_day)) + "\n"
                        )
                        drift = day_drift(conn, source, entity, [copy])
                        news = [d for d in drift if d.change == "new"]
                        vanished = [d for d in drift if d.change == "vanished"]
                        vanished += [
                            d
                            for d in drift
                            if d.change == "absent"
                            and not any(parent(v.field) == parent(d.field) for v in vanished)
                        ]
                        ranked = rank_renames(news, vanished).get(new, [])
                        picks = [c.contract_field for c in ranked[:3]]
                        score.held_out += 1
                        score.top1 += picks[:1] == [name]
                        score.top3 += name in picks
                        if picks[:1] != [name]:
                            score.misses.append(f"{new} → {picks[0] if picks else 'nothing'}")
    report.by_entity = dict(report.by_entity)
    return report
