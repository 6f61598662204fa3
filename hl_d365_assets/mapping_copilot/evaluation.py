"""How good the offline suggestions are: hold out a fraction of the existing mapping rows, ask for
suggestions for each held-out key as if it had just arrived unmapped, and count how often the row
finance actually wrote is the first suggestion (top-1) or among the three (top-3).

Only the held-out row's key is shown to the suggester, never its description: an unmapped value
arrives as a bare name. Wildcard rows (``*``) are not values that arrive, so they stay in. No
data co-occurrence is used here (the files alone), so the figures are a floor for what a
person sees on a real day; a store's dimension value is the exception, since what its sibling
stores carry is in the files (gl_store_dimensions.csv, stores.csv). Deterministic: which rows are held out is a hash of (seed, round,
kind, key).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hl_d365_assets.mapping_copilot.evidence import STORE_KINDS, sibling_store_evidence
from hl_d365_assets.mapping_copilot.kinds import KINDS, read_rows, targets_for, value_texts
from hl_d365_assets.mapping_copilot.product_matches import KIND as PRODUCT_MATCH
from hl_d365_assets.mapping_copilot.suggestions import suggest


@dataclass
class KindScore:
    held_out: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[str] = field(default_factory=list)
    """``key → what was suggested first (what finance wrote)`` of each top-1 miss."""


@dataclass
class EvaluationReport:
    fraction: float
    rounds: int
    seed: int
    by_kind: dict[str, KindScore]

    @property
    def held_out(self) -> int:
        return sum(s.held_out for s in self.by_kind.values())

    @property
    def top1(self) -> float:
        return sum(s.top1 for s in self.by_kind.values()) / max(1, self.held_out)

    @property
    def top3(self) -> float:
        return sum(s.top3 for s in self.by_kind.values()) / max(1, self.held_out)

    def lines(self) -> list[str]:
        out = [
            f"held out {self.fraction:.0%} of the mapping rows, {self.rounds} rounds "
            f"(seed {self.seed}): {self.held_out} suggestions asked",
            f"{'mapping kind':<20} {'held out':>8} {'top-1':>7} {'top-3':>7}",
        ]
        for name, score in self.by_kind.items():
            n = max(1, score.held_out)
            out.append(
                f"{name:<20} {score.held_out:>8} {score.top1 / n:>7.1%} {score.top3 / n:>7.1%}"
            )
        out.append(f"{'all':<20} {self.held_out:>8} {self.top1:>7.1%} {self.top3:>7.1%}")
        return out


def _held(seed: int, round_: int, kind: str, key: tuple[str, str], fraction: float) -> bool:
    digest = hashlib.sha256(f"{seed}|{round_}|{kind}|{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def evaluate(
    mappings_dir: Path, fraction: float = 0.3, rounds: int = 5, seed: int = 19
) -> EvaluationReport:
    report = EvaluationReport(fraction, rounds, seed, defaultdict(KindScore))
    evaluated: set[tuple] = set()
    for name, (kind, builder) in KINDS.items():
        if name == PRODUCT_MATCH:
            # Its candidates are the warehouse's D365 SKUs, which the files alone do not hold: a
            # held-out row's SKU is in no other row, so the figure would be a zero that says
            # nothing.
            continue
        # Two kinds reading one file the same way (a store's dimensions, for the daily and the
        # payroll journal) are one set of rows: counted once.
        if (kind.file, builder) in evaluated:
            continue
        evaluated.add((kind.file, builder))
        rows = read_rows(mappings_dir, kind.file)
        for round_ in range(rounds):
            held = [
                r
                for r in rows
                if kind.key_of(r)[1] != "*"
                and kind.rows_in_context([r], kind.key_of(r)[0])
                and _held(seed, round_, name, kind.key_of(r), fraction)
            ]
            kept = [r for r in rows if r not in held]
            for row in held:
                context, value = kind.key_of(row)
                expected = builder(mappings_dir, context, [row])[0].values
                evidence = (
                    sibling_store_evidence(
                        mappings_dir, context, value, kind.rows_in_context(kept, context)
                    )
                    if name in STORE_KINDS
                    else None
                )
                suggestions = suggest(
                    value_texts(mappings_dir, name, context, value),
                    targets_for(mappings_dir, name, context, kept),
                    evidence,
                )
                score = report.by_kind[name]
                score.held_out += 1
                ranked = [s.target.values for s in suggestions]
                score.top1 += ranked[:1] == [expected]
                score.top3 += expected in ranked
                if ranked[:1] != [expected]:
                    first = suggestions[0].target.label if suggestions else "nothing"
                    score.misses.append(f"{value} → {first} ({dict(expected)})")
    report.by_kind = dict(report.by_kind)
    return report
