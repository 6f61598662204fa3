"""Payroll register export files the way Heartland Payroll would hand them over (issue 17).

``generate_payroll(inbox, first, last, config)`` writes, for the sandbox roster
(payroll_roster.py), one CSV per pay run whose check date falls in ``first..last`` into
``<inbox>/payroll_register/``, a bank statement per funding day into ``<inbox>/bank_statement/``
(payroll_statements.py), and appends what it injected to an NDJSON ground truth kept outside the
inbox (by default ``<inbox>/../payroll_ground_truth.ndjson``).

The file is what we assume a Custom Report Writer export of the Payroll Register looks like
(reference heartland-retail-payroll.md §9; docs/payroll-sandbox.md): one row per employee ×
pay item, the export's own headers (``REGISTER_HEADERS``, which
mappings/payroll_register_columns.csv maps to ours), dates ``MM/DD/YYYY``, amounts with
thousands separators, a free-text ``Memo``, and the register's own totals as ``RUN_TOTAL``
rows at the end: GROSS and each item class, signed (a void's lines count negative, as canonical
counts them).

Besides the pay itself (payroll_checks.py), a range holds:

- a void: the second weekly run of the range voids a check of the first (a paper check when one
  exists), its items repeated positive with ``Check Type`` ``void`` and ``Voided Check #``;
- a corrected file: the first semi-monthly run is written twice, the second file
  (``…_corrected.csv``) with one employee's check recomputed, same run key, other bytes;
- the defects of payroll_defects.py at the configured rates (none by default).

Both scenarios and every defect are in the ground truth, one JSON object a line: ``defect``
(or ``scenario``), ``file``, ``row`` (the data row, from 1), ``rows``, ``event_id`` (what the
file-drop landing will call that row), ``run_key``, ``business_date`` and ``detail``.

The writer is a tight Python loop over the checks, not set-based SQL: each check's cents are
rounded where a payroll rounds them, one item after another, and 20,000 employees × ~15 items
(296,000 rows) take 2.2 s here (docs/payroll-sandbox.md); the benchmark's run comes from
:func:`write_bench_register`.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hl_d365_assets.sandbox.payroll_checks import (
    SEMIMONTHLY,
    WEEKLY,
    Check,
    PayItem,
    PayRun,
    pay_check,
    pay_runs,
    run_checks,
    weekly_run,
)
from hl_d365_assets.sandbox.payroll_defects import (
    BENIGN_MEMOS,
    CHECK_DEFECT_KINDS,
    EXPECTED_OUTCOMES,
    PAYROLL_DEFECT_KINDS,
    RUN_DEFECT_KINDS,
    UNKNOWN_DEPARTMENT,
    UNKNOWN_EARNING_CODE,
    PayrollDefectRates,
    choose,
    delta,
    draw,
    rank,
    reallocated,
    ssn_text,
)
from hl_d365_assets.sandbox.payroll_risk import (
    DEPOSIT_ACCOUNT_HEADER,
    PayrollRiskRates,
    append_risk_truth,
    default_risk_truth_path,
    inject_payroll_risk,
    truth_lines,
    with_deposit_accounts,
)
from hl_d365_assets.sandbox.payroll_roster import CLIENT_ID, Employee, build_roster
from hl_d365_assets.sandbox.payroll_statements import statement_files
from hl_d365_assets.settings import load_settings

REGISTER_FOLDER = "payroll_register"
STATEMENT_FOLDER = "bank_statement"
SOURCE = "heartland_payroll"

REGISTER_HEADERS: tuple[str, ...] = (
    "Client ID",
    "Pay Group",
    "Payroll Run",
    "Period Begin",
    "Period End",
    "Check Date",
    "Check #",
    "Check Type",
    "Voided Check #",
    "File #",
    "Employee Name",
    "Division",
    "Department",
    "Job",
    "Location",
    "Item Class",
    "Item Code",
    "Description",
    "Hours",
    "Amount",
    "Memo",
)
"""The sandbox export's headers (payroll_contract: mapped to our columns by
mappings/payroll_register_columns.csv; ``Memo`` is left unmapped)."""

RUN_TOTALS: tuple[tuple[str, str, str], ...] = (
    ("GROSS", "EARNING", "Total gross pay"),
    ("EE_TAX", "EE_TAX", "Total employee taxes"),
    ("ER_TAX", "ER_TAX", "Total employer taxes"),
    ("EE_DEDUCTION", "EE_DEDUCTION", "Total deductions"),
    ("ER_BENEFIT", "ER_BENEFIT", "Total employer benefits"),
    ("NET_PAY", "NET_PAY", "Total net pay"),
)
"""(RUN_TOTAL item code, the item class it totals, description)."""
MISMATCHED_TOTALS = ("GROSS", "EE_TAX", "NET_PAY")


def export_date(day: date) -> str:
    return f"{day:%m/%d/%Y}"


def export_amount(amount: Decimal) -> str:
    """``1,234.56``: as a US export prints money."""
    return f"{amount:,.2f}"


@dataclass(frozen=True)
class PayrollSandboxConfig:
    seed: int = 17
    employees: int = 60
    defect_rates: PayrollDefectRates = field(default_factory=PayrollDefectRates.none)
    void: bool = True
    """The second weekly run of the range voids a check of the first."""
    corrected_file: bool = True
    """The first semi-monthly run of the range is written again, corrected."""
    mappings_dir: Path | None = None
    """Where payroll_allocations.csv is read (defect placement); defaults to the settings'."""
    risk: PayrollRiskRates | None = None
    """Risk patterns (ghost employee, duplicated paycheck, payroll_risk.py) and the register's
    direct-deposit account column; None: neither, the registers as before issue 18."""


@dataclass(frozen=True)
class Register:
    """One register file's content: a run's checks and the register's own totals."""

    run: PayRun
    checks: tuple[Check, ...]
    corrected: bool = False
    total_offsets: tuple[tuple[str, Decimal], ...] = ()
    """RUN_TOTAL code -> amount the printed total is off by (the run_total_mismatch defect)."""
    deposit_accounts: bool = False
    """The export carries the direct-deposit account column (last), filled on DD net pay lines."""

    @property
    def file_name(self) -> str:
        suffix = "_corrected" if self.corrected else ""
        return f"{CLIENT_ID}_{self.run.pay_group}_{self.run.payroll_run_id}{suffix}.csv"

    def total(self, item_class: str) -> Decimal:
        """The class's total over the lines, a void's lines negative."""
        return sum((c.sign * c.total(item_class) for c in self.checks), Decimal(0))

    def printed_totals(self) -> list[tuple[str, str, Decimal]]:
        offsets = dict(self.total_offsets)
        return [
            (code, text, self.total(item_class) + offsets.get(code, Decimal(0)))
            for code, item_class, text in RUN_TOTALS
        ]

    def first_rows(self) -> dict[str, int]:
        """check number -> data row (from 1) of its first item; the run totals follow the last."""
        rows, row = {}, 1
        for check in self.checks:
            rows[check.check_number] = row
            row += len(check.items)
        return rows

    def total_row(self, code: str) -> int:
        lines = sum(len(check.items) for check in self.checks)
        return lines + 1 + [total[0] for total in RUN_TOTALS].index(code)

    def render(self) -> bytes:
        """The file's bytes: header, one row per check item, the RUN_TOTAL rows; RFC 4180.

        Rows are joined by hand (each check's leading columns once, quoting only what needs
        it): the csv module's writer per row took half the time of the 300,000-row run."""
        run = self.run
        head = ",".join(
            [
                CLIENT_ID,
                run.pay_group,
                run.payroll_run_id,
                export_date(run.period_begin),
                export_date(run.period_end),
                export_date(run.check_date),
            ]
        )
        headers = REGISTER_HEADERS + ((DEPOSIT_ACCOUNT_HEADER,) if self.deposit_accounts else ())
        lines = [",".join(_quoted(header) for header in headers)]
        for check in self.checks:
            person = check.employee
            check_head = ",".join(
                [
                    head,
                    _quoted(check.check_number),
                    check.check_type,
                    _quoted(check.voided_check_number),
                    _quoted(person.employee_number),
                    _quoted(person.employee_name),
                    _quoted(person.division),
                    _quoted(check.department),
                    _quoted(person.job_code),
                    _quoted(person.location_code),
                ]
            )
            for item in check.items:
                hours = "" if item.hours is None else f"{item.hours:f}"
                account = ""
                if self.deposit_accounts and item.item_class == "NET_PAY":
                    account = "," + (check.deposit_account if item.item_code == "DD" else "")
                elif self.deposit_accounts:
                    account = ","
                lines.append(
                    f"{check_head},{item.item_class},{_quoted(item.item_code)},"
                    f"{_quoted(item.description)},{hours},{_quoted(export_amount(item.amount))},"
                    f"{_quoted(item.memo)}{account}"
                )
        for code, text, amount in self.printed_totals():
            lines.append(
                f"{head},,regular,,,,,,,,RUN_TOTAL,{code},{_quoted(text)},,"
                f"{_quoted(export_amount(amount))},{',' if self.deposit_accounts else ''}"
            )
        lines.append("")
        return "\r\n".join(lines).encode("utf-8")


def _quoted(value: str) -> str:
    """A CSV field as RFC 4180 writes it: quoted when it holds a comma, quote or line break."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass
class PayrollReport:
    registers: list[Path]
    statements: list[Path]
    rows: int
    """Data rows over every register written (RUN_TOTAL rows included)."""
    ground_truth: list[dict]
    ground_truth_path: Path
    seconds: float

    def defects(self) -> dict[str, int]:
        counts = dict.fromkeys(PAYROLL_DEFECT_KINDS, 0)
        for entry in self.ground_truth:
            if "defect" in entry:
                counts[entry["defect"]] += 1
        return counts


def default_ground_truth_path(inbox: Path) -> Path:
    """Beside the inbox, never in it: the file-drop sensor must not pick it up."""
    return inbox.parent / "payroll_ground_truth.ndjson"


def generate_payroll(
    inbox: Path,
    first: date,
    last: date,
    config: PayrollSandboxConfig | None = None,
    ground_truth_path: Path | None = None,
    risk_truth_path: Path | None = None,
) -> PayrollReport:
    """Write the range's registers and bank statements into ``inbox``; append the ground truth
    (and, with risk patterns on, the risk truth: ``<inbox>/../sandbox/risk_truth.ndjson``).

    An earlier truth entry for a file written again is replaced, so generating a range twice
    leaves one entry per injected thing, as the inbox holds one file per name.
    """
    return write_pay_runs(inbox, pay_runs(first, last), config, ground_truth_path, risk_truth_path)


def write_pay_runs(
    inbox: Path,
    runs: list[PayRun],
    config: PayrollSandboxConfig | None = None,
    ground_truth_path: Path | None = None,
    risk_truth_path: Path | None = None,
) -> PayrollReport:
    """:func:`generate_payroll` for the given runs (in check-date order) rather than a range:
    what the demo drops, one weekly and one semi-monthly run."""
    started = time.perf_counter()
    config = config or PayrollSandboxConfig()
    seed = config.seed
    roster = build_roster(config.employees, seed)
    registers = {run.run_key: Register(run, tuple(run_checks(roster, run, seed))) for run in runs}
    if config.risk is not None:
        registers = {
            key: replace(r, checks=with_deposit_accounts(r.checks, seed), deposit_accounts=True)
            for key, r in registers.items()
        }
    _add_benign_memos(registers, seed)
    truth: list[dict] = []
    untouchable: set[str] = set()

    weekly = [run for run in runs if run.pay_group == WEEKLY]
    if config.void and len(weekly) >= 2:
        void, voided_run = _void(registers, weekly[1], seed)
        untouchable.add(f"{voided_run.run_key}#{void.voided_check_number}")
        truth.append(
            {
                "scenario": "void",
                "run_key": weekly[1].run_key,
                "check_number": void.check_number,
                "voided_check_number": void.voided_check_number,
                "voided_run_key": voided_run.run_key,
                "employee_number": void.employee.employee_number,
                "net_pay": str(void.total("NET_PAY")),
                "expected": "the voided check's items reversed in canonical (negative)",
            }
        )
    corrected = None
    semimonthly = [run for run in runs if run.pay_group == SEMIMONTHLY]
    if config.corrected_file and semimonthly:
        corrected = _corrected(registers[semimonthly[0].run_key], seed)
        if config.risk is not None:
            corrected = replace(corrected, checks=with_deposit_accounts(corrected.checks, seed))
        truth.append(
            {
                "scenario": "corrected_file",
                "run_key": corrected.run.run_key,
                "replaces": registers[corrected.run.run_key].file_name,
                "employee_number": next(
                    c.employee.employee_number
                    for c, o in zip(
                        corrected.checks, registers[corrected.run.run_key].checks, strict=True
                    )
                    if c != o
                ),
                "expected": "the corrected file replaces the run; posted journals are adjusted",
            }
        )

    defect_truth = _inject_defects(registers, config, corrected, untouchable)
    risk_truth = _inject_risk(registers, config, corrected, untouchable, defect_truth)
    funding_offsets = {
        entry["run_key"]: Decimal(entry["offset"])
        for entry in defect_truth
        if entry["defect"] == "funding_difference"
    }
    ordered = list(registers.values()) + ([corrected] if corrected else [])
    register_dir = inbox / REGISTER_FOLDER
    register_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, tuple[Path, str, Register]] = {}
    rows = 0
    for register in ordered:
        data = register.render()
        path = register_dir / register.file_name
        _write_atomically(path, data)
        written[register.file_name] = (path, hashlib.sha256(data).hexdigest(), register)
        rows += data.count(b"\r\n") - 1

    for entry in truth:
        name = entry.get("file") or (
            corrected.file_name
            if entry["scenario"] == "corrected_file"
            else registers[entry["run_key"]].file_name
        )
        _, sha, register = written[name]
        entry.update(file=name, sha256=sha, business_date=register.run.check_date.isoformat())
        if entry["scenario"] == "void":
            first_row = register.first_rows()[entry["check_number"]]
            check = next(c for c in register.checks if c.check_number == entry["check_number"])
            entry["rows"] = list(range(first_row, first_row + len(check.items)))
            entry["row"] = first_row
        else:
            entry["replaces_sha256"] = written[entry["replaces"]][1]
    for entry in defect_truth:
        if entry["entity"] == "register":
            _, sha, register = written[registers[entry["run_key"]].file_name]
            first_row = (
                register.total_row(entry.pop("total_code"))
                if "total_code" in entry
                else register.first_rows()[entry["check_number"]]
            )
            entry["rows"] = [first_row + offset for offset in entry.pop("items", [0])]
            entry.update(
                file=register.file_name,
                sha256=sha,
                row=entry["rows"][0],
                event_id=f"HP_{sha[:16]}_{entry['rows'][0]}",
            )
    current = [corrected if corrected and r.run.run_key == corrected.run.run_key else r
               for r in registers.values()]  # fmt: skip
    statement_dir = inbox / STATEMENT_FOLDER
    statement_dir.mkdir(parents=True, exist_ok=True)
    statements, net_debits = [], {}
    for name, data, net_rows in statement_files(current, seed, funding_offsets):
        _write_atomically(statement_dir / name, data)
        statements.append(statement_dir / name)
        sha = hashlib.sha256(data).hexdigest()
        for run_key, row in net_rows.items():
            net_debits[run_key] = {"file": name, "sha256": sha, "row": row, "rows": [row],
                                   "event_id": f"BS_{sha[:16]}_{row}"}  # fmt: skip
    for entry in defect_truth:
        if entry["entity"] == "statement_lines":
            entry.update(net_debits[entry["run_key"]])
            entry.pop("offset")

    ground_truth = [*truth, *defect_truth]
    truth_path = ground_truth_path or default_ground_truth_path(inbox)
    _append_ground_truth(truth_path, ground_truth)
    if config.risk is not None:
        append_risk_truth(
            risk_truth_path or default_risk_truth_path(inbox),
            {run.check_date.isoformat() for run in runs},
            risk_truth,
        )
    return PayrollReport(
        registers=[path for path, _, _ in written.values()],
        statements=statements,
        rows=rows,
        ground_truth=ground_truth,
        ground_truth_path=truth_path,
        seconds=time.perf_counter() - started,
    )


def _void(registers: dict[str, Register], voiding: PayRun, seed: int) -> tuple[Check, PayRun]:
    """Add to ``voiding`` the void of a check of the weekly run a week before: a paper check
    when there is one (a lost check, voided and not reissued)."""
    earlier = weekly_run(voiding.check_date - timedelta(days=7))
    target = min(
        registers[earlier.run_key].checks,
        key=lambda c: (c.items[-1].item_code != "CHECK", rank(seed, "void", c.check_number)),
    )
    register = registers[voiding.run_key]
    void = replace(
        target,
        check_type="void",
        check_number=voiding.check_number(len(register.checks) + 1),
        voided_check_number=target.check_number,
    )
    registers[voiding.run_key] = replace(register, checks=(*register.checks, void))
    return void, earlier


def _corrected(register: Register, seed: int) -> Register:
    """The run's second file: one employee's check recomputed with what the first missed."""
    checks = list(register.checks)
    position = min(
        range(len(checks)), key=lambda i: rank(seed, "corrected", checks[i].check_number)
    )
    original = checks[position]
    checks[position] = pay_check(original.employee, register.run, position + 1, seed, True)
    return replace(register, checks=tuple(checks), corrected=True)


def _inject_defects(
    registers: dict[str, Register],
    config: PayrollSandboxConfig,
    corrected: Register | None,
    untouchable: set[str],
) -> list[dict]:
    seed, rates = config.seed, config.defect_rates
    spared = {corrected.run.run_key} if corrected else set()
    candidates = [
        f"{key}#{check.check_number}"
        for key, register in registers.items()
        if key not in spared
        for check in register.checks
        if check.check_type == "regular" and f"{key}#{check.check_number}" not in untouchable
    ]
    truth = []
    employees, jobs = reallocated(config.mappings_dir or load_settings().mappings_dir)
    ineligible = {
        "unknown_department": {
            f"{key}#{check.check_number}"
            for key, register in registers.items()
            for check in register.checks
            if check.employee.employee_number in employees or check.employee.job_code in jobs
        }
    }
    chosen = choose(seed, CHECK_DEFECT_KINDS, rates, candidates, ineligible)
    for candidate, kind in chosen.items():
        run_key, check_number = candidate.split("#")
        register = registers[run_key]
        position = next(i for i, c in enumerate(register.checks) if c.check_number == check_number)
        check = register.checks[position]
        rng = draw(seed, kind, candidate)
        entry = {
            "defect": kind,
            "source": SOURCE,
            "entity": "register",
            "run_key": run_key,
            "business_date": register.run.check_date.isoformat(),
            "check_number": check_number,
            "employee_number": check.employee.employee_number,
            "expected": EXPECTED_OUTCOMES[kind],
        }
        if kind == "unknown_earning_code":
            item = rng.choice([i for i, x in enumerate(check.items) if x.item_class == "EARNING"])
            check = check.with_item(
                item, replace(check.items[item], item_code=UNKNOWN_EARNING_CODE)
            )
            entry.update(items=[item], detail=f"earning code {UNKNOWN_EARNING_CODE}")
        elif kind == "unknown_department":
            check = replace(check, department_code=UNKNOWN_DEPARTMENT)
            entry.update(
                items=list(range(len(check.items))),
                detail=f"department {UNKNOWN_DEPARTMENT} (mapped to VISMERCH, not in D365)",
            )
        else:
            item = rng.randrange(len(check.items))
            memo, label = ssn_text(rng)
            check = check.with_item(item, replace(check.items[item], memo=memo))
            line = check.items[item]
            entry.update(
                items=[item],
                detail=f"{label} in Memo of the {line.item_class} {line.item_code} line, "
                f"amount {line.amount}",
            )
        checks = list(register.checks)
        checks[position] = check
        registers[run_key] = replace(register, checks=tuple(checks))
        truth.append(entry)

    run_keys = [key for key in registers if key not in spared]
    for run_key, kind in choose(seed, RUN_DEFECT_KINDS, rates, run_keys).items():
        register = registers[run_key]
        rng = draw(seed, kind, run_key)
        entry = {
            "defect": kind,
            "source": SOURCE if kind == "run_total_mismatch" else "bank",
            "entity": "register" if kind == "run_total_mismatch" else "statement_lines",
            "run_key": run_key,
            "business_date": register.run.check_date.isoformat(),
            "expected": EXPECTED_OUTCOMES[kind],
        }
        if kind == "run_total_mismatch":
            code, off = rng.choice(MISMATCHED_TOTALS), delta(rng, 10, 100)
            registers[run_key] = replace(register, total_offsets=((code, off),))
            entry.update(total_code=code, detail=f"RUN_TOTAL {code} off by +{off}")
        else:
            off = delta(rng, 5, 50) * rng.choice((1, -1))
            entry.update(offset=str(off), detail=f"net pay funding off by {off:+}")
        truth.append(entry)
    return truth


def _inject_risk(
    registers: dict[str, Register],
    config: PayrollSandboxConfig,
    corrected: Register | None,
    untouchable: set[str],
    defect_truth: list[dict],
) -> list[dict]:
    """The ghost employees and duplicated paychecks (payroll_risk.py), never on a check a defect,
    the void or the corrected run owns; their truth lines."""
    if config.risk is None:
        return []
    spared = {corrected.run.run_key} if corrected else set()
    owned = untouchable | {
        f"{entry['run_key']}#{entry['check_number']}"
        for entry in defect_truth
        if "check_number" in entry
    }
    checks_by_run = {
        key: (register.run, register.checks)
        for key, register in registers.items()
        if key not in spared
    }
    injected = inject_payroll_risk(
        checks_by_run, config.risk, config.seed, 10001 + config.employees, owned
    )
    for key, (_, checks) in checks_by_run.items():
        registers[key] = replace(registers[key], checks=checks)
    return truth_lines(injected)


def _add_benign_memos(registers: dict[str, Register], seed: int) -> None:
    """A memo on about one check in fifty's first line, so the column is not always empty."""
    for key, register in registers.items():
        checks = list(register.checks)
        for position, check in enumerate(checks):
            rng = random.Random(f"{seed}|memo|{key}|{check.check_number}")
            if rng.random() < 0.02 and not check.items[0].memo:
                memo = rng.choice(BENIGN_MEMOS)
                checks[position] = check.with_item(0, replace(check.items[0], memo=memo))
        registers[key] = replace(register, checks=tuple(checks))


def _write_atomically(path: Path, data: bytes) -> None:
    """Written beside, then renamed: a sensor never sees half a file (``.part`` is not ``.csv``)."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)


def _append_ground_truth(path: Path, entries: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {entry["file"] for entry in entries}
    kept = []
    if path.exists():
        kept = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line and json.loads(line).get("file") not in files
        ]
    lines = kept + [json.dumps(entry, separators=(",", ":")) for entry in entries]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_bench_register(
    folder: Path, employees: int = 20_000, check_date: date = date(2026, 11, 20), seed: int = 17
) -> tuple[Path, int]:
    """The benchmark's pay run: ``employees`` hourly staff paid in one weekly run (about 15
    items each), clean; (file written, data rows)."""
    run = weekly_run(check_date)
    # A few on the roster left before the period: draw more people than are paid.
    roster: list[Employee] = build_roster(employees + employees // 5 + 10, seed, pay_group=WEEKLY)
    checks = run_checks(roster, run, seed, limit=employees)
    register = Register(run, tuple(checks))
    folder.mkdir(parents=True, exist_ok=True)
    data = register.render()
    path = folder / register.file_name
    _write_atomically(path, data)
    return path, data.count(b"\r\n") - 1


__all__ = [
    "REGISTER_HEADERS",
    "PayItem",
    "PayrollDefectRates",
    "PayrollReport",
    "PayrollSandboxConfig",
    "Register",
    "generate_payroll",
    "write_bench_register",
    "write_pay_runs",
]
