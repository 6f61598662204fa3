"""The sandbox's employees: who Heartland Payroll pays and D365 employs (issue 17).

One deterministic roster (a seed gives the same people every time) that the register generator
writes pay runs for and the D365 simulator serves as ``EmployeesV2``, so the two sides agree the
way a real company's payroll and HR systems do: the Heartland employee ("file") number is the
D365 personnel number.

Who is on it (docs/payroll.md): the US stores' staff (Heartland Payroll is US payroll, so the
Canadian stores S004/S005 are not on it) in four departments — sales floor ``100``, stockroom
``200``, store management ``300`` at each store, head office ``900`` at location ``HQ`` — paid in
two pay groups: ``WEEKLY`` hourly staff (some tipped) and ``SEMIMONTHLY`` salaried staff. A few
have left (a termination date), so a run can be checked against D365's terminations.

Names are generated for the register's ``employee_name`` column only; nothing downstream keeps
them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

PAYROLL_STORES: tuple[str, ...] = ("S001", "S002", "S003")
"""US stores; their BusinessUnit dimension comes from mappings/gl_store_dimensions.csv."""
HEAD_OFFICE = "HQ"
CLIENT_ID = "HLPR0001"
"""Heartland Payroll's 8-character client id of the sandbox company (legal entity usrt)."""
LEGAL_ENTITY = "usrt"

DEPARTMENTS: dict[str, str] = {
    "100": "Sales floor",
    "200": "Stockroom",
    "300": "Store management",
    "900": "Head office",
}
"""Heartland department codes; mappings/payroll_departments.csv maps them to D365's Department
dimension (100→SALES, 200→STOCK, 300→MGMT, 900→ADMIN)."""

D365_DEPARTMENTS: dict[str, str] = {"100": "SALES", "200": "STOCK", "300": "MGMT", "900": "ADMIN"}
STORE_BUSINESS_UNITS: dict[str, str] = {"S001": "001", "S002": "002", "S003": "003", "HQ": "000"}

_FIRST = (
    "Ada",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jamal",
    "Keiko",
    "Luis",
    "Maya",
    "Nils",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
)
_LAST = (
    "Abbott",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jones",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quintero",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Walsh",
    "Xu",
    "Young",
    "Zielinski",
)


@dataclass(frozen=True)
class Employee:
    employee_number: str
    employee_name: str
    location_code: str
    division: str
    department_code: str
    job_code: str
    pay_group: str
    """WEEKLY (hourly) or SEMIMONTHLY (salaried)."""
    hourly_rate: Decimal | None
    annual_salary: Decimal | None
    tipped: bool
    hire_date: date
    termination_date: date | None

    @property
    def d365_dimension_display_value(self) -> str:
        """Default dimensions of the D365 employment, BusinessUnit-Department (the order of
        mappings/gl_account_structure.csv after the main account)."""
        return (
            f"{STORE_BUSINESS_UNITS[self.location_code]}-{D365_DEPARTMENTS[self.department_code]}"
        )


# (department, job, pay group, tipped) per store position; head office is separate.
_STORE_POSITIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("300", "STOREMGR", "SEMIMONTHLY", False),
    ("300", "ASSTMGR", "SEMIMONTHLY", False),
    ("100", "CASHIER", "WEEKLY", False),
    ("100", "SALESASSOC", "WEEKLY", True),
    ("200", "STOCKCLERK", "WEEKLY", False),
)
_HQ_POSITIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("900", "ACCOUNTANT", "SEMIMONTHLY", False),
    ("900", "BUYER", "SEMIMONTHLY", False),
    ("900", "PAYROLLADM", "SEMIMONTHLY", False),
)


def build_roster(
    employees: int = 60, seed: int = 17, pay_group: str | None = None
) -> list[Employee]:
    """``employees`` people (at least one per position kind), deterministic for a seed.

    Positions are dealt round-robin over the stores' positions, with one head-office position in
    every ten; about one in twenty has a termination date in the past. ``pay_group`` keeps only
    the positions of that group (the benchmark's one big run pays everyone in it).
    """
    rng = random.Random(seed)
    people: list[Employee] = []
    slots = [
        (store, *position)
        for position in _STORE_POSITIONS
        for store in PAYROLL_STORES
        if pay_group in (None, position[2])
    ]
    hq_slots = [
        (HEAD_OFFICE, *position) for position in _HQ_POSITIONS if pay_group in (None, position[2])
    ]
    for index in range(employees):
        if index % 10 == 9 and hq_slots:
            location, department, job, pay_group, tipped = hq_slots[(index // 10) % len(hq_slots)]
        else:
            location, department, job, pay_group, tipped = slots[index % len(slots)]
        hourly = pay_group == "WEEKLY"
        rate = Decimal(rng.randrange(1550, 2600)) / 100 if hourly else None
        if tipped and rate is not None:
            rate = Decimal("7.25") + Decimal(rng.randrange(0, 300)) / 100
        salary = None if hourly else Decimal(rng.randrange(42, 120) * 1000)
        hired = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 2900))
        left = hired + timedelta(days=rng.randrange(60, 400)) if rng.random() < 0.05 else None
        people.append(
            Employee(
                employee_number=f"E{10001 + index}",
                employee_name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                location_code=location,
                division="CORP" if location == HEAD_OFFICE else "STORES",
                department_code=department,
                job_code=job,
                pay_group=pay_group,
                hourly_rate=rate,
                annual_salary=salary,
                tipped=tipped,
                hire_date=hired,
                termination_date=left,
            )
        )
    return people


def d365_employees(roster: list[Employee]) -> list[dict[str, str | None]]:
    """The roster as D365 ``EmployeesV2`` rows (reference d365-entities-wave2.md §5): keys
    PersonnelNumber, EmploymentLegalEntityId, EmploymentId; the employment's dates and default
    dimensions. Names are left out: nothing on our side reads them."""
    return [
        {
            "PersonnelNumber": person.employee_number,
            "EmploymentLegalEntityId": LEGAL_ENTITY,
            "EmploymentId": f"EMP-{person.employee_number}",
            "EmploymentStartDate": f"{person.hire_date.isoformat()}T00:00:00Z",
            "EmploymentEndDate": (
                f"{person.termination_date.isoformat()}T00:00:00Z"
                if person.termination_date
                else "2154-12-31T23:59:59Z"
            ),
            "TerminationDate": (
                f"{person.termination_date.isoformat()}T00:00:00Z"
                if person.termination_date
                else "1900-01-01T00:00:00Z"
            ),
            "DimensionDisplayValue": person.d365_dimension_display_value,
        }
        for person in roster
    ]
