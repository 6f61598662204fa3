"""Risk alerts measured against the sandbox's injected truth (``<data_dir>/sandbox/
risk_truth.ndjson``, one line per record of an injected instance; docs/risk.md).

Recall per pattern: the share of injected instances with at least one record in an alert's
record_ids. Precision: the share of alerts with at least one record in the truth, any pattern.
Clean days (no injected record): alerts per 10,000 gateway transactions. Used by the 30-day
end-to-end test and by ``hl-d365 risk evaluate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.warehouse import sql_file

TRUTH_FILE = "risk_truth.ndjson"
"""Its name under ``<data_dir>/sandbox/``."""


@dataclass(frozen=True)
class PatternRecall:
    pattern: str
    instances: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.instances if self.instances else 1.0


@dataclass(frozen=True)
class TruthEvaluation:
    first: date
    last: date
    patterns: list[PatternRecall]
    alerts: int
    true_alerts: int
    clean_days: list[tuple[date, int, int]]
    """(day, gateway transactions, alerts) of each day without an injected record."""

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def clean_alerts_per_10k(self) -> float:
        transactions = sum(n for _, n, _ in self.clean_days)
        return (
            10_000 * sum(a for _, _, a in self.clean_days) / transactions if transactions else 0.0
        )

    def table(self) -> str:
        """The per-pattern table in markdown (the issue's closing note)."""
        lines = ["| pattern | instances | found | recall |", "|---|---:|---:|---:|"]
        lines += [
            f"| {p.pattern} | {p.instances} | {p.found} | {p.recall:.3f} |" for p in self.patterns
        ]
        lines.append(
            f"| **all alerts** | {self.alerts} | {self.true_alerts} true | "
            f"precision {self.precision:.3f} |"
        )
        lines.append(
            f"\nclean days: {len(self.clean_days)}, "
            f"{self.clean_alerts_per_10k:.3f} alerts per 10,000 transactions"
        )
        return "\n".join(lines)


def evaluate(
    conn: duckdb.DuckDBPyConnection, truth_path: Path, first: date, last: date
) -> TruthEvaluation:
    """risk.alerts of first..last against the truth file."""
    params = {"truth": str(truth_path), "first": first, "last": last}
    rows = conn.execute(sql_file("risk/evaluate_truth.sql"), params).fetchall()
    patterns = [PatternRecall(p, n, f) for p, n, f in rows if p is not None]
    _, alerts, true_alerts = next(r for r in rows if r[0] is None)
    clean = [
        tuple(r)
        for r in conn.execute(sql_file("risk/clean_day_alert_rates.sql"), params).fetchall()
    ]
    return TruthEvaluation(first, last, patterns, alerts, true_alerts, clean)
