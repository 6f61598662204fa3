"""Defects the payroll sandbox injects on purpose (issue 17), and how they are chosen.

Kinds (docs/payroll-sandbox.md says what each should become downstream):

- ``unknown_earning_code``: one earning line of a check carries code ``77`` ("Retro pay"),
  which no posting rule maps; the check still balances.
- ``unknown_department``: every line of a check carries department ``400``, which
  mappings/payroll_departments.csv maps to ``VISMERCH``, a Department value D365 lacks; never on
  the check of an employee (or job) mappings/payroll_allocations.csv re-allocates, where it
  would not show.
- ``ssn_in_memo``: the free-text ``Memo`` of a line holds a Social Security number (valid
  ranges: never area 000, 666 or 9xx, group 00 or serial 0000), dashed or spaced.
- ``run_total_mismatch``: one ``RUN_TOTAL`` line of a register (GROSS, EE_TAX or NET_PAY) is off
  by 10.00-99.99 from the register's lines.
- ``funding_difference``: a run's net-pay funding debit on the bank statement differs from the
  run's net pay by 5.00-49.99.

Like the card sandbox (defects.py): the candidates of a kind are ranked by a hash of (seed,
kind, candidate) and the first ``ceil(rate x candidates)`` are hit, so a positive rate always
hits one; a check is hit by at most one kind, so defects never mask each other. Check-level
kinds count candidates over all regular checks of the generated range, run-level ones over its
runs. The ground truth never holds an SSN itself, only its last four digits.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path

from hl_d365_assets.sandbox.defects import injected_count

CHECK_DEFECT_KINDS: tuple[str, ...] = ("unknown_earning_code", "unknown_department", "ssn_in_memo")
RUN_DEFECT_KINDS: tuple[str, ...] = ("run_total_mismatch", "funding_difference")
PAYROLL_DEFECT_KINDS: tuple[str, ...] = CHECK_DEFECT_KINDS + RUN_DEFECT_KINDS

UNKNOWN_EARNING_CODE = "77"
UNKNOWN_DEPARTMENT = "400"
"""mappings/payroll_departments.csv maps it to VISMERCH, which the D365 seed does not hold."""

EXPECTED_OUTCOMES: dict[str, str] = {
    "unknown_earning_code": "held: item not mapped to a main account",
    "unknown_department": "held: department value not in D365",
    "ssn_in_memo": "quarantined: sensitive data, masked; the run is then held, as its register "
    "totals include the line (and a tax or net-pay line's amount shows as a funding difference)",
    "run_total_mismatch": "held: register totals disagree with its lines",
    "funding_difference": "exception: funding differs from the run",
}

MEMO_TEMPLATES: tuple[str, ...] = (
    "employee asked to update SSN {ssn}",
    "W-4 on file for {ssn}",
    "verify SSN {ssn} with HR",
    "{ssn}",
)
BENIGN_MEMOS: tuple[str, ...] = (
    "shift differential included",
    "PTO paid as regular hours",
    "rate change effective period start",
    "covered extra weekend shift",
    "approved by store manager",
)
"""Ordinary memo text: no digit runs, so nothing in it looks sensitive."""

Rate = float
"""A share of candidates between 0 and 1 (a probability, never money)."""


@dataclass(frozen=True)
class PayrollDefectRates:
    """Share of candidates hit, by kind; ``PayrollDefectRates.none()`` is a clean range."""

    unknown_earning_code: Rate = 0.01
    unknown_department: Rate = 0.01
    ssn_in_memo: Rate = 0.01
    run_total_mismatch: Rate = 0.25
    funding_difference: Rate = 0.25

    def __post_init__(self) -> None:
        for item in fields(self):
            rate = getattr(self, item.name)
            if not 0 <= rate <= 1:
                raise ValueError(f"defect rate {item.name}={rate} is not between 0 and 1")

    @classmethod
    def none(cls) -> PayrollDefectRates:
        return cls(**{item.name: 0.0 for item in fields(cls)})

    def rate(self, kind: str) -> float:
        return float(getattr(self, kind))


def rank(seed: int, kind: str, candidate: str) -> str:
    return hashlib.sha256(f"{seed}|{kind}|{candidate}".encode()).hexdigest()


def choose(
    seed: int,
    kinds: tuple[str, ...],
    rates: PayrollDefectRates,
    candidates: list[str],
    ineligible: dict[str, set[str]] | None = None,
) -> dict[str, str]:
    """candidate -> kind: for each kind in order, the first ``ceil(rate x candidates)`` by rank
    of the candidates no earlier kind took and ``ineligible`` does not rule out for the kind."""
    chosen: dict[str, str] = {}
    for kind in kinds:
        count = injected_count(rates.rate(kind), len(candidates))
        ruled_out = (ineligible or {}).get(kind, set())
        free = sorted(
            (c for c in candidates if c not in chosen and c not in ruled_out),
            key=lambda c: rank(seed, kind, c),
        )
        chosen.update(dict.fromkeys(free[:count], kind))
    return chosen


def reallocated(mappings_dir: Path) -> tuple[set[str], set[str]]:
    """(employee numbers, job codes) that mappings/payroll_allocations.csv splits across
    departments: their pay is charged by the file, whatever department the register prints, so
    an unknown department on their check would never reach a journal and is not injected there."""
    path = mappings_dir / "payroll_allocations.csv"
    if not path.exists():
        return set(), set()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return (
        {row["basis_value"] for row in rows if row["basis_type"] == "employee"},
        {row["basis_value"] for row in rows if row["basis_type"] == "job"},
    )


def draw(seed: int, kind: str, candidate: str) -> random.Random:
    """The random source of one defect's details (which line, how much), fixed by its rank."""
    return random.Random(rank(seed, kind, candidate))


def ssn_text(rng: random.Random) -> tuple[str, str]:
    """(a memo holding a valid-range SSN, its label for the ground truth: last four only)."""
    area = rng.choice([n for n in range(1, 900) if n != 666])
    group, serial = rng.randrange(1, 100), rng.randrange(1, 10000)
    style = rng.choice(("dashed", "spaced"))
    separator = "-" if style == "dashed" else " "
    ssn = f"{area:03d}{separator}{group:02d}{separator}{serial:04d}"
    memo = rng.choice(MEMO_TEMPLATES).format(ssn=ssn)
    return memo, f"SSN ***-**-{serial:04d} ({style})"


def delta(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount between ``low`` and ``high`` (whole currency units) with random cents."""
    return Decimal(rng.randrange(low * 100, high * 100)) / 100
