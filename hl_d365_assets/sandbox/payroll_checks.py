"""The sandbox's pay runs and the checks in them: who is paid what, when (issue 17).

A pay run is one pay group's check date. ``WEEKLY`` hourly staff are paid every Friday for the
week (Monday-Sunday) that ended five days before; ``SEMIMONTHLY`` salaried staff on the 15th
(for the 1st-15th) and on the last day of the month (for the 16th-last), both on the calendar
date even on a weekend (our assumption, docs/payroll-sandbox.md).

A check is worked out the way a US payroll does it, in exact cents (every amount rounded half
up once, where it is computed), so it always balances:
``Σ EARNING = Σ EE_TAX + Σ EE_DEDUCTION + NET_PAY`` (net pay is what is left).

- Earnings: hourly staff work 20-48 hours (quarter hours); up to 40 are regular (``01``, tipped
  staff ``61`` at their tipped rate), the rest overtime at 1.5x (``02``/``62``); tipped staff
  also get declared card tips paid through payroll (``TIPS``). Salaried staff get a 24th of the
  annual salary (``SAL``, 86.6667 hours).
- Pre-tax deductions: medical and dental premiums, fixed per check, reduce every tax's wages;
  the 401(k) deferral (0-6 % of gross) reduces the income-tax wages only.
- Employee taxes: FIT 8-14 % and SIT 3-5 % (a rate per employee standing in for their W-4),
  FICA-SS 6.2 %, FICA-MED 1.45 %. Employer taxes on the same FICA wages: FICA-SS 6.2 %,
  FICA-MED 1.45 %, FUTA 0.6 %, SUTA 2.7 %. No wage-base caps (our simplification).
- Employer benefits: 401(k) match of 50 % of the deferral, and the employer's medical share.
- Net pay by direct deposit (``DD``, 85 % of staff) or paper check (``CHECK``).

Elections (tax rates, 401(k) rate, enrolment, how net pay is paid) are fixed per employee and
seed; hours, tips and the like per employee, seed and check date. So a run is the same whatever
date range it is generated in, and a later run can void an earlier run's check exactly.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hl_d365_assets.sandbox.payroll_roster import CLIENT_ID, Employee

WEEKLY = "WEEKLY"
SEMIMONTHLY = "SEMIMONTHLY"
PAY_GROUPS = (WEEKLY, SEMIMONTHLY)

CENT = Decimal("0.01")
REGULAR_HOURS = Decimal("40.00")
OVERTIME_FACTOR = Decimal("1.5")
SALARY_CHECKS_PER_YEAR = 24
SALARY_HOURS = Decimal("86.6667")
"""2,080 hours a year over 24 checks, as a register prints a salaried check's hours."""

EE_TAX_RATES: dict[str, Decimal] = {"FICA-SS": Decimal("0.062"), "FICA-MED": Decimal("0.0145")}
ER_TAX_RATES: dict[str, Decimal] = {
    "FICA-SS": Decimal("0.062"),
    "FICA-MED": Decimal("0.0145"),
    "FUTA": Decimal("0.006"),
    "SUTA": Decimal("0.027"),
}
MEDICAL_PER_CHECK: dict[str, tuple[Decimal, Decimal]] = {
    WEEKLY: (Decimal("41.54"), Decimal("92.40")),
    SEMIMONTHLY: (Decimal("90.00"), Decimal("200.20")),
}
"""(employee premium, employer share) per check."""
DENTAL_PER_CHECK: dict[str, Decimal] = {WEEKLY: Decimal("7.85"), SEMIMONTHLY: Decimal("17.00")}
MATCH_SHARE = Decimal("0.5")

DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("EARNING", "01"): "Regular",
    ("EARNING", "02"): "Overtime",
    ("EARNING", "61"): "Tipped regular",
    ("EARNING", "62"): "Tipped overtime",
    ("EARNING", "TIPS"): "Declared tips",
    ("EARNING", "SAL"): "Salary",
    ("EE_TAX", "FIT"): "Federal income tax",
    ("EE_TAX", "SIT"): "State income tax",
    ("EE_TAX", "FICA-SS"): "Social Security",
    ("EE_TAX", "FICA-MED"): "Medicare",
    ("ER_TAX", "FICA-SS"): "Social Security - employer",
    ("ER_TAX", "FICA-MED"): "Medicare - employer",
    ("ER_TAX", "FUTA"): "Federal unemployment",
    ("ER_TAX", "SUTA"): "State unemployment",
    ("EE_DEDUCTION", "401K"): "401(k) deferral",
    ("EE_DEDUCTION", "MEDICAL"): "Medical premium",
    ("EE_DEDUCTION", "DENTAL"): "Dental premium",
    ("ER_BENEFIT", "401K-MATCH"): "401(k) employer match",
    ("ER_BENEFIT", "MEDICAL"): "Medical - employer share",
    ("NET_PAY", "DD"): "Direct deposit",
    ("NET_PAY", "CHECK"): "Paper check",
}


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PayRun:
    """One pay group's check date: the unit of a register file and of the run key."""

    pay_group: str
    check_date: date
    period_begin: date
    period_end: date
    process_date: date

    @property
    def payroll_run_id(self) -> str:
        """``<process date>-<check date>``, as the export names a run."""
        return f"{self.process_date:%Y%m%d}-{self.check_date:%Y%m%d}"

    @property
    def run_key(self) -> str:
        return f"{CLIENT_ID}|{self.pay_group}|{self.payroll_run_id}"

    def check_number(self, index: int) -> str:
        """``W261120-00042``: pay group, check date and the check's place in the run. Never a
        bare run of 8 or more digits, so no check number looks like a bank account, routing or
        Social Security number to the scanner."""
        return f"{self.pay_group[0]}{self.check_date:%y%m%d}-{index:05d}"


def weekly_run(check_date: date) -> PayRun:
    period_end = check_date - timedelta(days=5)
    return PayRun(
        WEEKLY,
        check_date,
        period_end - timedelta(days=6),
        period_end,
        check_date - timedelta(days=2),
    )


def semimonthly_run(check_date: date) -> PayRun:
    first_half = check_date.day == 15
    begin = check_date.replace(day=1 if first_half else 16)
    return PayRun(SEMIMONTHLY, check_date, begin, check_date, check_date - timedelta(days=3))


def pay_runs(first: date, last: date) -> list[PayRun]:
    """The runs whose check date falls in ``first..last``, by check date then pay group."""
    runs = []
    day = first
    while day <= last:
        if day.weekday() == calendar.FRIDAY:
            runs.append(weekly_run(day))
        if day.day == 15 or day.day == calendar.monthrange(day.year, day.month)[1]:
            runs.append(semimonthly_run(day))
        day += timedelta(days=1)
    return sorted(runs, key=lambda run: (run.check_date, PAY_GROUPS.index(run.pay_group)))


def is_paid(employee: Employee, run: PayRun) -> bool:
    """In the run's pay group and employed during its period: hired by its end, not terminated
    before it began (the final check covers the period the termination falls in)."""
    return (
        employee.pay_group == run.pay_group
        and employee.hire_date <= run.period_end
        and (employee.termination_date is None or employee.termination_date >= run.period_begin)
    )


@dataclass(frozen=True)
class Elections:
    fit_rate: Decimal
    sit_rate: Decimal
    deferral_rate: Decimal
    medical: bool
    dental: bool
    net_pay_code: str


def elections(employee: Employee, seed: int) -> Elections:
    rng = random.Random(f"{seed}|elections|{employee.employee_number}")
    medical = rng.random() < 0.85
    return Elections(
        fit_rate=Decimal(rng.randrange(800, 1401)) / 10000,
        sit_rate=Decimal(rng.randrange(300, 501)) / 10000,
        deferral_rate=Decimal(rng.randrange(0, 7)) / 100,
        medical=medical,
        dental=medical and rng.random() < 0.9,
        net_pay_code="DD" if rng.random() < 0.85 else "CHECK",
    )


@dataclass(frozen=True, slots=True)
class PayItem:
    item_class: str
    item_code: str
    hours: Decimal | None
    amount: Decimal
    memo: str = ""

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get((self.item_class, self.item_code), "Retro pay")


@dataclass(frozen=True)
class Check:
    """One employee's pay in a run (``regular``), or the reversal of an earlier check (``void``:
    the voided check's items repeated, positive, its number in ``voided_check_number``)."""

    employee: Employee
    check_number: str
    items: tuple[PayItem, ...]
    check_type: str = "regular"
    voided_check_number: str = ""
    department_code: str | None = None
    """Overrides the employee's department on every line (the unknown-department defect)."""
    deposit_account: str = ""
    """Bank account a direct-deposit net pay line pays into; printed only when the register has
    the deposit account column (risk patterns on, payroll_risk.py)."""

    @property
    def department(self) -> str:
        return self.department_code or self.employee.department_code

    def total(self, item_class: str) -> Decimal:
        return sum((i.amount for i in self.items if i.item_class == item_class), Decimal(0))

    @property
    def sign(self) -> int:
        return -1 if self.check_type == "void" else 1

    def with_item(self, position: int, item: PayItem) -> Check:
        items = list(self.items)
        items[position] = item
        return replace(self, items=tuple(items))


def pay_check(
    employee: Employee, run: PayRun, index: int, seed: int, corrected: bool = False
) -> Check:
    """The employee's regular check in ``run``; ``corrected`` is the corrected file's version
    (2.5 more hours, or a salary 2,400 a year higher, as if the first file had missed them)."""
    rng = random.Random(f"{seed}|{run.pay_group}|{run.check_date}|{employee.employee_number}")
    chosen = elections(employee, seed)
    earnings: list[PayItem] = []
    if employee.hourly_rate is not None:
        rate = employee.hourly_rate
        quarters = rng.randrange(80, 193) + (10 if corrected else 0)
        hours = (Decimal(quarters) / 4).quantize(CENT)
        regular = min(hours, REGULAR_HOURS)
        overtime = hours - regular
        regular_code, overtime_code = ("61", "62") if employee.tipped else ("01", "02")
        earnings.append(PayItem("EARNING", regular_code, regular, money(regular * rate)))
        if overtime:
            earnings.append(
                PayItem(
                    "EARNING", overtime_code, overtime, money(overtime * rate * OVERTIME_FACTOR)
                )
            )
        if employee.tipped:
            earnings.append(
                PayItem("EARNING", "TIPS", None, Decimal(rng.randrange(8000, 60000)) / 100)
            )
    else:
        salary = (employee.annual_salary or Decimal(0)) + (Decimal(2400) if corrected else 0)
        earnings.append(
            PayItem("EARNING", "SAL", SALARY_HOURS, money(salary / SALARY_CHECKS_PER_YEAR))
        )
    gross = sum((item.amount for item in earnings), Decimal(0))

    medical, employer_medical = MEDICAL_PER_CHECK[run.pay_group]
    deductions = [
        PayItem("EE_DEDUCTION", "401K", None, money(gross * chosen.deferral_rate)),
        PayItem("EE_DEDUCTION", "MEDICAL", None, medical if chosen.medical else Decimal(0)),
        PayItem(
            "EE_DEDUCTION",
            "DENTAL",
            None,
            DENTAL_PER_CHECK[run.pay_group] if chosen.dental else Decimal(0),
        ),
    ]
    deferral = deductions[0].amount
    fica_wages = gross - deductions[1].amount - deductions[2].amount
    income_wages = fica_wages - deferral
    ee_taxes = [
        PayItem("EE_TAX", "FIT", None, money(income_wages * chosen.fit_rate)),
        PayItem("EE_TAX", "SIT", None, money(income_wages * chosen.sit_rate)),
        *(PayItem("EE_TAX", code, None, money(fica_wages * r)) for code, r in EE_TAX_RATES.items()),
    ]
    er_taxes = [
        PayItem("ER_TAX", code, None, money(fica_wages * r)) for code, r in ER_TAX_RATES.items()
    ]
    er_benefits = [
        PayItem("ER_BENEFIT", "401K-MATCH", None, money(deferral * MATCH_SHARE)),
        PayItem("ER_BENEFIT", "MEDICAL", None, employer_medical if chosen.medical else Decimal(0)),
    ]
    withheld = sum((item.amount for item in (*ee_taxes, *deductions)), Decimal(0))
    net = PayItem("NET_PAY", chosen.net_pay_code, None, gross - withheld)
    if net.amount <= 0:
        raise ValueError(f"{employee.employee_number} in {run.run_key}: net pay {net.amount}")
    items = (*earnings, *ee_taxes, *deductions, *er_taxes, *er_benefits, net)
    return Check(
        employee=employee,
        check_number=run.check_number(index),
        items=tuple(item for item in items if item.amount),
    )


def run_checks(
    roster: list[Employee], run: PayRun, seed: int, limit: int | None = None
) -> list[Check]:
    """Every paid employee's regular check (the first ``limit``), numbered from 1 in roster
    order."""
    paid = [person for person in roster if is_paid(person, run)][:limit]
    return [pay_check(person, run, index, seed) for index, person in enumerate(paid, start=1)]
