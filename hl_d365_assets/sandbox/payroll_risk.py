"""Payroll fraud the sandbox injects on purpose for risk scoring (issue 18), and its truth lines.

With risk rates set (``PayrollSandboxConfig.risk``; None, the default, leaves every register as
it was), the register gains a direct-deposit account column (``DEPOSIT_ACCOUNT_HEADER``: the
account number a net pay line by direct deposit pays into, as a pay stub's direct-deposit split
shows it) and, among the range's regular direct-deposit checks:

- ``ghost_employee``: a new employee number, hired at the start of the run's period, gets a
  check in the run paid into the bank account of the chosen check's employee (the ghost's pay
  lands in the fraudster's account); the ghost is on no D365 roster.
- ``duplicate_paycheck``: the chosen check is paid a second time in the same run, under the
  run's next check number (same items, same account).

Candidates are ranked like the defects (payroll_defects.choose): ``ceil(rate x candidates)`` per
kind, a check hit by at most one kind and never one a defect, the void or the corrected file
touches. Truth lines (``<data_dir>/sandbox/risk_truth.ndjson``, the contract's format) name the
records the risk features name: ``employee:<number>`` and
``payroll_item:<payroll_run_id>/<employee>/<net pay code>``.

Guesses (docs/sandbox-departures.md): Heartland documents no register column for the deposit
account; ours is one column, filled on direct-deposit net pay lines only, one account per check.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, fields, replace
from pathlib import Path

from hl_d365_assets.sandbox.payroll_checks import Check, PayRun, pay_check
from hl_d365_assets.sandbox.payroll_defects import Rate, choose, draw
from hl_d365_assets.sandbox.payroll_roster import Employee

DEPOSIT_ACCOUNT_HEADER = "Direct Deposit Account"
"""The export's header; mappings/payroll_register_columns.csv maps it to
``bank_account_fingerprint`` (format ``fingerprint``: a keyed hash lands, never the number)."""
RISK_KINDS: tuple[str, ...] = ("ghost_employee", "duplicate_paycheck")
DIRECT_DEPOSIT = "DD"


@dataclass(frozen=True)
class PayrollRiskRates:
    """Share of the range's regular direct-deposit checks hit, by pattern."""

    ghost_employee: Rate = 0.01
    duplicate_paycheck: Rate = 0.01

    def __post_init__(self) -> None:
        for item in fields(self):
            rate = getattr(self, item.name)
            if not 0 <= rate <= 1:
                raise ValueError(f"risk rate {item.name}={rate} is not between 0 and 1")

    def rate(self, kind: str) -> float:
        return float(getattr(self, kind))


def deposit_account(employee_number: str, seed: int) -> str:
    """The employee's bank account number as a register prints it: 8-12 digits, fixed per seed
    (a realistic number, so the mapping's ``fingerprint`` format has something real to hash)."""
    rng = random.Random(f"{seed}|deposit_account|{employee_number}")
    length = rng.randrange(8, 13)
    return str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(length - 1))


def with_deposit_accounts(checks: tuple[Check, ...], seed: int) -> tuple[Check, ...]:
    """Every direct-deposit check with its employee's account."""
    return tuple(
        replace(check, deposit_account=deposit_account(check.employee.employee_number, seed))
        if check.items[-1].item_code == DIRECT_DEPOSIT
        else check
        for check in checks
    )


@dataclass(frozen=True)
class InjectedCheck:
    pattern: str
    run: PayRun
    check: Check
    """The check added to the run: the ghost's, or the second payment."""


def inject_payroll_risk(
    checks_by_run: dict[str, tuple[PayRun, tuple[Check, ...]]],
    rates: PayrollRiskRates,
    seed: int,
    first_new_number: int,
    untouchable: set[str],
) -> list[InjectedCheck]:
    """Choose the checks, and append to their runs the ghost's check or the second payment.

    ``checks_by_run``: run key -> (run, its checks), updated in place; ``untouchable``:
    ``<run key>#<check number>`` of checks a defect, the void or the corrected file owns."""
    candidates = [
        f"{key}#{check.check_number}"
        for key, (_, checks) in checks_by_run.items()
        for check in checks
        if check.check_type == "regular"
        and check.deposit_account
        and f"{key}#{check.check_number}" not in untouchable
    ]
    injected = []
    ghosts = 0
    for candidate, kind in sorted(choose(seed, RISK_KINDS, rates, candidates).items()):
        run_key, check_number = candidate.split("#")
        run, checks = checks_by_run[run_key]
        chosen = next(c for c in checks if c.check_number == check_number)
        number = run.check_number(len(checks) + 1)
        if kind == "ghost_employee":
            ghost = _ghost(chosen.employee, first_new_number + ghosts, run, seed)
            ghosts += 1
            paid = pay_check(ghost, run, len(checks) + 1, seed)
            net = replace(paid.items[-1], item_code=DIRECT_DEPOSIT)
            added = replace(
                paid.with_item(len(paid.items) - 1, net), deposit_account=chosen.deposit_account
            )
        else:
            added = replace(chosen, check_number=number)
        checks_by_run[run_key] = (run, (*checks, added))
        injected.append(InjectedCheck(kind, run, added))
    return injected


def _ghost(model: Employee, number: int, run: PayRun, seed: int) -> Employee:
    """A new hire in the model's position, hired on the first day of the run's period."""
    rng = draw(seed, "ghost_employee", str(number))
    return replace(
        model,
        employee_number=f"E{number}",
        employee_name=f"{rng.choice(('Alex', 'Jordan', 'Casey', 'Robin'))} "
        f"{rng.choice(('Miller', 'Reed', 'Hart', 'Stone'))}",
        hire_date=run.period_begin,
        termination_date=None,
    )


def truth_lines(injected: list[InjectedCheck]) -> list[dict]:
    """The contract's truth lines: one per record of each injected instance."""
    lines = []
    for item in injected:
        employee = item.check.employee.employee_number
        net_code = item.check.items[-1].item_code
        instance = f"{item.pattern}:{item.run.run_key}:{employee}:{item.check.check_number}"
        records = [f"payroll_item:{item.run.payroll_run_id}/{employee}/{net_code}"]
        if item.pattern == "ghost_employee":
            records.insert(0, f"employee:{employee}")
        lines += [
            {
                "business_date": item.run.check_date.isoformat(),
                "pattern": item.pattern,
                "instance_id": instance,
                "record_id": record,
            }
            for record in records
        ]
    return lines


def default_risk_truth_path(inbox: Path) -> Path:
    """``<data_dir>/sandbox/risk_truth.ndjson`` when the inbox is the default ``<data_dir>/payroll``
    (settings.payroll_inbox): beside the card sandbox's truth, never in the inbox."""
    return inbox.parent / "sandbox" / "risk_truth.ndjson"


def append_risk_truth(path: Path, check_dates: set[str], lines: list[dict]) -> None:
    """Replace the payroll patterns' lines of the check dates written, keep every other line
    (the card and POS patterns of the same file, other dates)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line:
                continue
            entry = json.loads(line)
            if entry.get("pattern") in RISK_KINDS and entry.get("business_date") in check_dates:
                continue
            kept.append(line)
    written = kept + [json.dumps(entry, separators=(",", ":")) for entry in lines]
    path.write_text("".join(line + "\n" for line in written), encoding="utf-8")
