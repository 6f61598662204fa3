"""Payroll allocation: each item charged to its department, split by finance's dated allocation
file (per employee before per job) or by hours worked per department, cent-exact by the
largest-remainder rule — proven for any amounts and shares by hypothesis, on the SQL macro the
pipeline runs and on the whole allocation SQL over register lines in a real DuckDB warehouse."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hl_d365_assets_tests.payroll_register import (
    CHECK_DATE,
    Line,
    RegisterFile,
    build,
    employee_pay,
    land,
    mappings_with,
    open_warehouse,
    rows,
)

CENTS = st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1)
"""Any amount a DECIMAL(18, 2) register line can carry, in cents."""
WEIGHTS = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=12).filter(
    lambda weights: sum(weights) > 0
)
"""Any shares summing to 1: part i's share is wᵢ / Σw (percentages × 10⁴, hours × 10⁴)."""
HEADER = "basis_type,basis_value,department_code,location_code,percent,valid_from\n"


@pytest.fixture(scope="module")
def macro() -> duckdb.DuckDBPyConnection:
    """The macros of sql/macros/ as the warehouse has them."""
    with open_warehouse() as conn:
        yield conn


def split(conn: duckdb.DuckDBPyConnection, total: int, weights: list[int]) -> list[int]:
    [(parts,)] = conn.execute(
        "SELECT largest_remainder_parts(CAST($total AS HUGEINT), CAST($weights AS HUGEINT[]))",
        {"total": total, "weights": weights},
    ).fetchall()
    return parts


@settings(max_examples=300, deadline=None)
@given(total=CENTS, weights=WEIGHTS)
def test_parts_sum_to_the_whole_and_each_is_within_a_cent_of_its_exact_share(
    macro, total, weights
) -> None:
    parts = split(macro, total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert abs(part - exact) < 1, (part, exact)
        # The remainder cent only ever rounds a share away from zero, by less than a cent.
        assert part * exact >= 0 or exact == 0


@settings(max_examples=100, deadline=None)
@given(total=CENTS, weights=WEIGHTS)
def test_the_split_is_deterministic_and_a_negative_amount_splits_as_the_exact_negation(
    macro, total, weights
) -> None:
    """So a void reverses its check department by department to the cent."""
    parts = split(macro, total, weights)
    assert split(macro, total, weights) == parts
    assert split(macro, -total, weights) == [-part for part in parts]


def test_the_remainder_cents_go_to_the_largest_remainders_and_ties_to_the_earlier_part(
    macro,
) -> None:
    # 1.00 in thirds: 33.33… each; the one cent left goes to the first.
    assert split(macro, 100, [1, 1, 1]) == [34, 33, 33]
    # 0.10 by 45/45/10 %: 4.5, 4.5, 1.0 — the two halves tie, the earlier gets the cent.
    assert split(macro, 10, [45, 45, 10]) == [5, 4, 1]
    # 0.07 by 1/2/4 (hours): 1.0, 2.0, 4.0 — exact, nothing left to give.
    assert split(macro, 7, [1, 2, 4]) == [1, 2, 4]
    # 0.05 by 1/1/3 of 5: 1, 1, 3 exact; 0.06: 1.2, 1.2, 3.6 — the largest remainder (0.6) first.
    assert split(macro, 6, [1, 1, 3]) == [1, 1, 4]


# -- the allocation SQL over register lines --------------------------------------------------


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    with open_warehouse() as connection:
        yield connection


def allocations(conn, employee: str) -> list[tuple]:
    return rows(
        conn,
        "SELECT item_class, item_code, department_code, location_code, allocation_basis, share, "
        "amount FROM canonical.payroll_allocations WHERE employee_number = $e ORDER BY ALL",
        {"e": employee},
    )


def by_department(conn, employee: str) -> dict[tuple[str, str], tuple[str, Decimal]]:
    return {
        (department, basis): total
        for department, basis, total in rows(
            conn,
            "SELECT department_code, allocation_basis, sum(amount) FROM canonical.payroll_allocations "
            "WHERE employee_number = $e GROUP BY ALL",
            {"e": employee},
        )
    }


def test_by_default_an_item_goes_to_its_own_lines_department(conn) -> None:
    land(
        conn, RegisterFile("run.csv", tuple(employee_pay(employee="E10001", department_code="200")))
    )
    build(conn)
    assert by_department(conn, "E10001") == {("200", "register_department"): Decimal("1058.25")}
    assert rows(conn, "SELECT DISTINCT share FROM canonical.payroll_allocations") == [
        (Decimal("1.00000000"),)
    ]


def test_the_sandbox_allocation_file_splits_e10003_60_40_and_the_assistant_managers_by_job(
    conn,
) -> None:
    """mappings/payroll_allocations.csv: E10003 60 % sales floor / 40 % stockroom at S003; the
    ASSTMGR job 70 % store management / 30 % sales floor at the line's own store."""
    land(
        conn,
        RegisterFile(
            "run.csv",
            (
                Line("E10003", "EARNING", "SAL", "2000.01", department_code="300",
                     location_code="S003", job_code="STOREMGR"),
                Line("E10004", "EARNING", "SAL", "1500.00", department_code="300",
                     location_code="S002", job_code="ASSTMGR"),
            ),
        ),
    )  # fmt: skip
    build(conn)
    assert allocations(conn, "E10003") == [
        ("EARNING", "SAL", "100", "S003", "allocation_file", Decimal("0.6"), Decimal("1200.01")),
        ("EARNING", "SAL", "200", "S003", "allocation_file", Decimal("0.4"), Decimal("800.00")),
    ]
    assert allocations(conn, "E10004") == [
        ("EARNING", "SAL", "100", "S002", "allocation_file", Decimal("0.3"), Decimal("450.00")),
        ("EARNING", "SAL", "300", "S002", "allocation_file", Decimal("0.7"), Decimal("1050.00")),
    ]


def test_the_newest_version_valid_on_the_check_date_wins_and_per_employee_before_per_job(
    conn, tmp_path: Path
) -> None:
    mappings = mappings_with(
        tmp_path,
        payroll_allocations=HEADER
        + "employee,E10001,100,,50,2026-01-01\n"
        + "employee,E10001,200,,50,2026-01-01\n"
        # The newer version, valid from the check date: this one applies.
        + f"employee,E10001,100,,25,{CHECK_DATE}\n"
        + f"employee,E10001,300,,75,{CHECK_DATE}\n"
        # Not yet valid on the check date.
        + f"employee,E10001,900,HQ,100,{CHECK_DATE + timedelta(days=1)}\n"
        # The job split yields to the employee's own.
        + "job,CASHIER,200,,100,2020-01-01\n",
    )
    land(conn, RegisterFile("run.csv", (Line("E10001", "EARNING", "01", "100.01", hours="8"),)))
    build(conn, mappings=mappings)
    assert allocations(conn, "E10001") == [
        ("EARNING", "01", "100", "S001", "allocation_file", Decimal("0.25"), Decimal("25.00")),
        ("EARNING", "01", "300", "S001", "allocation_file", Decimal("0.75"), Decimal("75.01")),
    ]


def test_percentages_not_summing_to_100_hold_the_run_and_the_items_stay_on_their_department(
    conn, tmp_path: Path
) -> None:
    mappings = mappings_with(
        tmp_path,
        payroll_allocations=HEADER
        + "employee,E10001,100,,60,2026-01-01\n"
        + "employee,E10001,200,,30,2026-01-01\n",
    )
    land(conn, RegisterFile("run.csv", tuple(employee_pay(employee="E10001"))))
    build(conn, mappings=mappings)
    assert by_department(conn, "E10001") == {("100", "register_department"): Decimal("1058.25")}
    assert rows(conn, "SELECT mapping_issue FROM canonical.payroll_runs") == [
        (
            "invalid_allocation: employee E10001 from 2026-01-01 in mappings/payroll_allocations.csv "
            "sums to 90.0000 % (must be 100, every part above 0 with a department)",
        )
    ]


def test_non_earning_items_split_by_hours_per_department_and_earnings_stay_where_worked(
    conn,
) -> None:
    land(
        conn,
        RegisterFile(
            "run.csv",
            (
                Line("E10002", "EARNING", "01", "300.00", hours="20", department_code="100"),
                Line("E10002", "EARNING", "02", "45.00", hours="2", department_code="100"),
                Line("E10002", "EARNING", "01", "150.00", hours="11", department_code="200"),
                Line("E10002", "EARNING", "TIPS", "80.00", department_code="100"),
                Line("E10002", "EE_TAX", "FIT", "100.00"),
                Line("E10002", "NET_PAY", "DD", "475.00"),
            ),
        ),
    )
    build(conn)
    # 22 of 33 hours in 100, 11 in 200: two thirds and one third.
    assert allocations(conn, "E10002") == [
        ("EARNING", "01", "100", "S001", "register_department", Decimal("1"), Decimal("300.00")),
        ("EARNING", "01", "200", "S001", "register_department", Decimal("1"), Decimal("150.00")),
        ("EARNING", "02", "100", "S001", "register_department", Decimal("1"), Decimal("45.00")),
        ("EARNING", "TIPS", "100", "S001", "register_department", Decimal("1"), Decimal("80.00")),
        ("EE_TAX", "FIT", "100", "S001", "hours", Decimal("0.66666667"), Decimal("66.67")),
        ("EE_TAX", "FIT", "200", "S001", "hours", Decimal("0.33333333"), Decimal("33.33")),
        ("NET_PAY", "DD", "100", "S001", "hours", Decimal("0.66666667"), Decimal("316.67")),
        ("NET_PAY", "DD", "200", "S001", "hours", Decimal("0.33333333"), Decimal("158.33")),
    ]


def test_an_allocation_file_version_beats_the_hours(conn, tmp_path: Path) -> None:
    mappings = mappings_with(
        tmp_path,
        payroll_allocations=HEADER + "employee,E10002,300,,100,2020-01-01\n",
    )
    land(
        conn,
        RegisterFile(
            "run.csv",
            (
                Line("E10002", "EARNING", "01", "300.00", hours="20", department_code="100"),
                Line("E10002", "EARNING", "01", "150.00", hours="10", department_code="200"),
                Line("E10002", "NET_PAY", "DD", "450.00"),
            ),
        ),
    )
    build(conn, mappings=mappings)
    assert by_department(conn, "E10002") == {("300", "allocation_file"): Decimal("900.00")}


# -- any register, through the whole allocation SQL -------------------------------------------

DEPARTMENTS = ("100", "200", "300", "900")
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
HOURS = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99.9999"), places=4)


@st.composite
def registers(draw) -> list[Line]:
    """A few employees, each with earnings (maybe with hours in several departments), other
    items, maybe a void check; and maybe an allocation version for one of them."""
    lines: list[Line] = []
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        employee = f"E2{n:04d}"
        check_type = draw(st.sampled_from(["regular", "regular", "void"]))
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            lines.append(
                Line(employee, "EARNING", "01", str(draw(AMOUNTS)),
                     hours=str(draw(HOURS)) if draw(st.booleans()) else None,
                     department_code=draw(st.sampled_from(DEPARTMENTS)), check_type=check_type)
            )  # fmt: skip
        for item_class, code in draw(
            st.lists(
                st.sampled_from([("EE_TAX", "FIT"), ("ER_TAX", "FUTA"), ("NET_PAY", "DD"),
                                 ("EE_DEDUCTION", "401K"), ("ER_BENEFIT", "MEDICAL")]),
                min_size=1, max_size=5,
            )
        ):  # fmt: skip
            lines.append(
                Line(employee, item_class, code, str(draw(AMOUNTS)), check_type=check_type)
            )
    return lines


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    """One warehouse for every example (emptied before each), and a mappings folder whose
    allocation file splits E20000 three ways (thirds of 33.3333 % + 33.3334 %)."""
    mappings = mappings_with(
        tmp_path_factory.mktemp("allocation"),
        payroll_allocations=HEADER
        + "employee,E20000,100,,33.3333,2020-01-01\n"
        + "employee,E20000,200,S002,33.3333,2020-01-01\n"
        + "employee,E20000,300,,33.3334,2020-01-01\n",
    )
    with open_warehouse() as conn:
        yield conn, mappings


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=registers())
def test_any_register_is_allocated_whole_item_by_item_to_the_cent(warehouse, lines) -> None:
    conn, mappings = warehouse
    conn.execute("DELETE FROM raw.payroll_register")
    land(conn, RegisterFile("run.csv", tuple(lines)))
    build(conn, mappings=mappings)

    not_whole = rows(
        conn,
        "SELECT i.event_id, i.amount, sum(a.amount), sum(a.share) FROM canonical.payroll_items AS i "
        "LEFT JOIN canonical.payroll_allocations AS a USING (event_id) GROUP BY ALL "
        "HAVING sum(a.amount) IS DISTINCT FROM i.amount OR sum(a.share) <> 1",
    )
    assert not_whole == []
    # Each part within a cent of the item's amount times its share.
    for amount, share, part in rows(
        conn,
        "SELECT i.amount, a.share, a.amount FROM canonical.payroll_items AS i "
        "JOIN canonical.payroll_allocations AS a USING (event_id)",
    ):
        assert abs(part - amount * share) < Decimal("0.01") + abs(amount) * Decimal("1e-8")
    [(items_total,)] = rows(conn, "SELECT sum(amount) FROM canonical.payroll_items")
    signed = sum(Decimal(line.amount) * (-1 if line.check_type == "void" else 1) for line in lines)
    assert items_total == signed
