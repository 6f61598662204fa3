"""Risk alerts measured against the sandbox's injected truth (``<data_dir>/sandbox/
risk_truth.ndjson``, one line per record of an injected instance; docs/risk.md).

Recall per pattern: the share of injected instances with at least one record in an alert's
record_ids. Precision: the share of alerts with at least one record in the truth, any pattern.
Clean days (no injected record): alerts per 10,000 gateway transactions, and of those the false
ones. Used by the 30-day end-to-end test and by ``hl-d365 risk evaluate``.

The truth also holds the sandbox's own defects that are fraud signals in themselves
(``FRAUD_SIGNAL_DEFECTS``, read from ``ground_truth.ndjson`` beside the risk truth): the
``refund_exceeds_sale`` defect links a refund to a smaller sale, which is exactly what a refund
larger than its sale looks like, so an alert on it is a true alert. They are their own rows of
the table (``defect:<kind>``), and the precision row says how many true alerts found only such
a defect, so none of it hides a false alert (docs/risk.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.warehouse import sql_file

TRUTH_FILE = "risk_truth.ndjson"
"""Its name under ``<data_dir>/sandbox/``."""

GROUND_TRUTH_FILE = "ground_truth.ndjson"
"""The sandbox's defects, beside the risk truth (sandbox/defects.py)."""

FRAUD_SIGNAL_DEFECTS: tuple[str, ...] = ("refund_exceeds_sale",)
"""Sandbox defect kinds on a gateway transaction that are a fraud signal themselves: an alert on
their record is a true alert (every other defect is reconciliation's business, not risk's)."""


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
    signal_only_alerts: int = 0
    """True alerts whose only truth record is a fraud-signal defect's."""
    clean_false_alerts: int = 0
    """Alerts of the clean days that find no fraud-signal defect either."""

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def false_alerts(self) -> int:
        return self.alerts - self.true_alerts

    @property
    def clean_transactions(self) -> int:
        return sum(n for _, n, _ in self.clean_days)

    @property
    def clean_alerts_per_10k(self) -> float:
        transactions = self.clean_transactions
        return (
            10_000 * sum(a for _, _, a in self.clean_days) / transactions if transactions else 0.0
        )

    @property
    def clean_false_alerts_per_10k(self) -> float:
        transactions = self.clean_transactions
        return 10_000 * self.clean_false_alerts / transactions if transactions else 0.0

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
        if self.signal_only_alerts:
            lines.append(
                f"\n{self.signal_only_alerts} of the true alerts found only a fraud-signal "
                "defect of the sandbox (defect:… rows)"
            )
        lines.append(
            f"\nfalse alerts: {self.false_alerts}; clean days: {len(self.clean_days)} "
            f"({self.clean_transactions:,} transactions), "
            f"{self.clean_alerts_per_10k:.3f} alerts and "
            f"{self.clean_false_alerts_per_10k:.3f} false alerts per 10,000 transactions"
        )
        return "\n".join(lines)


def fraud_signal_defects(ground_truth_path: Path | None) -> list[dict]:
    """The defects of the sandbox's ground truth that are fraud signals, as (business_date,
    defect, key) rows; none when there is no ground truth (risk truth written by hand)."""
    if ground_truth_path is None or not ground_truth_path.exists():
        return []
    with ground_truth_path.open(encoding="utf-8") as lines:
        defects = [json.loads(line) for line in lines if line.strip()]
    return [
        {
            "business_date": date.fromisoformat(d["business_date"]),
            "defect": d["defect"],
            "key": d["key"],
        }
        for d in defects
        if d.get("defect") in FRAUD_SIGNAL_DEFECTS and d.get("entity") == "payment_transactions"
    ]


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    truth_path: Path,
    first: date,
    last: date,
    ground_truth_path: Path | None = None,
) -> TruthEvaluation:
    """risk.alerts of first..last against the truth file and the fraud-signal defects of the
    ground truth (default: ``ground_truth.ndjson`` beside the truth file)."""
    if ground_truth_path is None:
        ground_truth_path = truth_path.parent / GROUND_TRUTH_FILE
    params = {
        "truth": str(truth_path),
        "first": first,
        "last": last,
        "signals": fraud_signal_defects(ground_truth_path),
    }
    rows = conn.execute(sql_file("risk/evaluate_truth.sql"), params).fetchall()
    patterns = [PatternRecall(p, n, f) for p, n, f, _ in rows if p is not None]
    _, alerts, true_alerts, signal_only = next(r for r in rows if r[0] is None)
    clean_rows = conn.execute(sql_file("risk/clean_day_alert_rates.sql"), params).fetchall()
    clean = [(day, transactions, alerts_) for day, transactions, alerts_, _ in clean_rows]
    return TruthEvaluation(
        first,
        last,
        patterns,
        alerts,
        true_alerts,
        clean,
        signal_only_alerts=signal_only,
        clean_false_alerts=sum(false for *_, false in clean_rows),
    )
