"""Is a raw day's load healthy? Conservation alone cannot say: a day whose every record was
quarantined, or a backfill of days the source never held, balances perfectly (landed = loaded +
duplicates + quarantined) and would otherwise show green while the ledger of the day is empty.

Two measures per source entity and business day, read from the loader's own ledger
(``ops.partition_loads``) and the quarantine:

- the quarantine share, quarantined / (loaded + quarantined): duplicates are left out, since a
  redelivery is neither good nor bad data;
- the rows loaded against the recent days' volume: the median of the loaded rows of the nearest
  days that loaded anything (before or after the day), so both a daily run and a backfill of an
  old or future range have an expectation.

The thresholds are settings (:meth:`hl_d365_assets.settings.Settings.load_health`); the checks
that apply them are in ``defs/raw/checks.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb

from hl_d365_assets.settings import LoadHealthThresholds
from hl_d365_assets.warehouse import sql_file

MIN_BASELINE_DAYS = 3
"""Fewer loaded days than this around a day make no expectation: a new merchant's first days
(or a test's) are not judged against one or two others."""
TOP_REASONS = 5


@dataclass(frozen=True)
class DayHealth:
    business_date: date
    landed: int
    loaded: int
    duplicates: int
    quarantined: int
    expected_loaded: int | None
    """Median rows loaded on the nearest loaded days; ``None`` without enough of them."""
    baseline_days: int

    @property
    def quarantine_share(self) -> float:
        """Quarantined / (loaded + quarantined); 0 for a day with no records at all (the volume
        check speaks for an empty day)."""
        records = self.loaded + self.quarantined
        return self.quarantined / records if records else 0.0

    def volume_is_low(self, thresholds: LoadHealthThresholds) -> bool:
        if self.expected_loaded is None or self.baseline_days < MIN_BASELINE_DAYS:
            return False
        return self.loaded < thresholds.volume_warn_ratio * self.expected_loaded


@dataclass(frozen=True)
class QuarantineReason:
    reason_code: str
    records: int
    example_detail: str


def measure_days(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    entity: str,
    days: Sequence[date],
    thresholds: LoadHealthThresholds,
) -> list[DayHealth]:
    rows = conn.execute(
        sql_file("ops/measure_load_health.sql"),
        {
            "source": source,
            "entity": entity,
            "days": list(days),
            "baseline_days": thresholds.volume_baseline_days,
        },
    ).fetchall()
    return [DayHealth(*row) for row in rows]


def top_reasons(
    conn: duckdb.DuckDBPyConnection, source: str, entity: str, days: Sequence[date]
) -> dict[date, list[QuarantineReason]]:
    """The most frequent quarantine reasons per day, most frequent first."""
    rows = conn.execute(
        sql_file("ops/top_quarantine_reasons.sql"),
        {"source": source, "entity": entity, "days": list(days), "top": TOP_REASONS},
    ).fetchall()
    by_day: dict[date, list[QuarantineReason]] = defaultdict(list)
    for business_date, *reason in rows:
        by_day[business_date].append(QuarantineReason(*reason))
    return dict(by_day)


def raise_quarantine_alert(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    entity: str,
    day: DayHealth,
    reasons: Sequence[QuarantineReason],
    thresholds: LoadHealthThresholds,
) -> None:
    """One ``ops.alerts`` row for a day that failed, saying what to look at."""
    listed = ", ".join(f"{r.reason_code} {r.records}" for r in reasons)
    message = (
        f"{day.quarantined} of {day.loaded + day.quarantined} {source} {entity} record(s) of "
        f"{day.business_date} were quarantined ({day.quarantine_share:.1%}, above the "
        f"{thresholds.quarantine_fail_share:.0%} limit): {listed}. Canonical, reconciliation and "
        "journals were not built for the day; see ops.quarantine, fix the sender or the mapping, "
        "and re-run the day."
    )
    conn.execute(
        sql_file("ops/raise_load_health_alert.sql"),
        {
            "source": source,
            "entity": entity,
            "business_date": day.business_date,
            "message": message,
        },
    ).fetchall()
