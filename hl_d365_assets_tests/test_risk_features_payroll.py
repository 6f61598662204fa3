"""Payroll risk features (sql/risk/features_payroll.sql) on hand-made canonical pay runs in a real
DuckDB warehouse: each pattern fires its rule of mappings/risk_rules.csv, and the near miss beside
it does not — an employee paid twice in a run, pay far above their own history, a new employee
paid into another employee's bank account, pay for a period after the D365 termination."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets_tests.risk_features import alerting, fired_rules, write_features

CHECK_DATE = date(2026, 11, 20)
HISTORY = [CHECK_DATE - timedelta(days=7 * weeks) for weeks in (3, 2, 1)]
_rows = itertools.count(1)


def run_key(check_date: date) -> str:
    return f"HLPR0001|WEEKLY|{check_date - timedelta(days=2):%Y%m%d}-{check_date:%Y%m%d}"


def run_id(check_date: date) -> str:
    return run_key(check_date).split("|")[2]


def pay(
    conn: duckdb.DuckDBPyConnection,
    check_date: date,
    employee: str,
    gross: str,
    *,
    check: str | None = None,
    check_type: str = "regular",
    account: str | None = None,
    net_code: str = "DD",
) -> None:
    """One check: its earning and its net pay (80 % of gross) lines, the net pay line paying into
    ``account`` (a fingerprint, as piece E lands it)."""
    sign = Decimal(-1) if check_type == "void" else Decimal(1)
    amount = Decimal(gross)
    for item_class, code, value, fingerprint in (
        ("EARNING", "01", amount, None),
        ("NET_PAY", net_code, (amount * Decimal("0.8")).quantize(Decimal("0.01")), account),
    ):
        row = next(_rows)
        conn.execute(
            """
            INSERT INTO canonical.payroll_items BY NAME
            SELECT $day AS business_date, $run AS run_key, 'usrt' AS legal_entity,
                   'USD' AS currency, $day AS check_date, $check AS check_number,
                   $type AS check_type, $employee AS employee_number, $class AS item_class,
                   $code AS item_code, $amount AS amount, 'HP_' || $row AS event_id,
                   'sha' AS file_sha256, $row AS file_row, 'seg' AS segment_path,
                   $row AS line_number, $fingerprint AS bank_account_fingerprint
            """,
            {
                "day": check_date,
                "run": run_key(check_date),
                "check": check or f"W{check_date:%y%m%d}-{employee}",
                "type": check_type,
                "employee": employee,
                "class": item_class,
                "code": code,
                "amount": sign * value,
                "row": row,
                "fingerprint": fingerprint,
            },
        ).fetchall()


def employee(
    conn: duckdb.DuckDBPyConnection,
    number: str,
    first_check: date,
    terminated: date | None = None,
) -> None:
    conn.execute(
        """
        INSERT INTO canonical.employees BY NAME
        SELECT $number AS employee_number, 'usrt' AS legal_entity, $first AS first_check_date,
               $terminated AS d365_termination_date, 'register+d365' AS sources
        """,
        {"number": number, "first": first_check, "terminated": terminated},
    ).fetchall()


@pytest.fixture(scope="module")
def fired(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    conn = duckdb.connect(str(tmp_path_factory.mktemp("risk_payroll") / "warehouse.duckdb"))
    ensure_schema(conn)
    conn.execute(
        """
        INSERT INTO canonical.payroll_runs BY NAME
        SELECT $day AS business_date, $run AS run_key, 'HLPR0001' AS client_id,
               'WEEKLY' AS pay_group, $id AS payroll_run_id, $day AS check_date,
               DATE '2026-11-09' AS period_begin, DATE '2026-11-15' AS period_end,
               'sha' AS file_sha256, 'f.csv' AS file_name, now() AS file_received_at,
               1 AS files_received, 0 AS employees, 0 AS item_rows, 0 AS void_rows,
               0 AS gross_amount, 0 AS ee_tax_amount, 0 AS er_tax_amount,
               0 AS ee_deduction_amount, 0 AS er_benefit_amount, 0 AS net_pay_amount
        """,
        {"day": CHECK_DATE, "run": run_key(CHECK_DATE), "id": run_id(CHECK_DATE)},
    ).fetchall()
    history = {
        "E1": ("800.00", "810.00", "790.00"),  # steady, paid twice on the check date
        "E3": ("800.00", "820.00", "790.00"),  # steady, then a spike
        "E4": ("800.00", "700.00", "900.00"),  # near miss: twice their best week
        "E7": ("600.00", "600.00", "600.00"),  # shares an account with E8 for years
        "E8": ("600.00", "600.00", "600.00"),
        "E9": ("500.00", "500.00", "500.00"),  # terminated 2026-11-05
        "E10": ("500.00", "500.00", "500.00"),  # terminated 2026-11-12: last period covers it
    }
    for number, grosses in history.items():
        employee(
            conn,
            number,
            HISTORY[0],
            {"E9": date(2026, 11, 5), "E10": date(2026, 11, 12)}.get(number),
        )
        for day, gross in zip(HISTORY, grosses, strict=True):
            account = {"E1": "fp-A", "E7": "fp-S", "E8": "fp-S"}.get(number, f"fp-{number}")
            pay(conn, day, number, gross, account=account)

    pay(conn, CHECK_DATE, "E1", "800.00", check="W261120-00001", account="fp-A")
    pay(conn, CHECK_DATE, "E1", "800.00", check="W261120-00099", account="fp-A")
    # A void of an earlier check is payroll correcting itself, not a second paycheck.
    pay(conn, CHECK_DATE, "E8", "600.00", check="W261120-00007", account="fp-S")
    pay(conn, CHECK_DATE, "E8", "600.00", check="W261120-00098", check_type="void")
    pay(conn, CHECK_DATE, "E3", "2500.00", account="fp-E3")
    pay(conn, CHECK_DATE, "E4", "1800.00", account="fp-E4")
    pay(conn, CHECK_DATE, "E7", "600.00", account="fp-S")
    pay(conn, CHECK_DATE, "E9", "500.00", account="fp-E9")
    pay(conn, CHECK_DATE, "E10", "500.00", account="fp-E10")
    # Two new employees: one paid into E1's account (the ghost), one into their own.
    employee(conn, "E5", CHECK_DATE)
    pay(conn, CHECK_DATE, "E5", "750.00", account="fp-A")
    employee(conn, "E6", CHECK_DATE)
    pay(conn, CHECK_DATE, "E6", "750.00", account="fp-E6")

    write_features(conn, "payroll", CHECK_DATE)
    return fired_rules(conn, "payroll")


def alerts_by_employee(fired: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in alerting(fired):
        found.setdefault(row["entity_id"].split("/")[1], set()).add(row["pattern"])
    return found


def test_each_payroll_pattern_alerts_on_its_employee_and_nothing_else_does(fired) -> None:
    assert alerts_by_employee(fired) == {
        "E1": {"duplicate_paycheck"},
        "E3": {"pay_spike"},
        "E5": {"ghost_employee"},
        "E9": {"paid_after_termination"},
    }


def test_a_paycheck_paid_twice_names_both_checks_and_its_net_pay_line(fired) -> None:
    row = next(r for r in fired if r["pattern"] == "duplicate_paycheck")
    assert row["entity_id"] == f"{run_id(CHECK_DATE)}/E1"
    assert "W261120-00001, W261120-00099" in row["evidence"]
    assert "640.00 and 640.00" in row["evidence"]
    assert row["record_ids"] == [f"payroll_item:{run_id(CHECK_DATE)}/E1/DD"]


def test_a_ghost_employee_is_named_by_number_never_by_bank_account(fired) -> None:
    row = next(r for r in fired if r["pattern"] == "ghost_employee")
    assert row["value"] == 1
    assert "E5" in row["evidence"] and "E1" in row["evidence"]
    assert "fp-" not in row["evidence"]
    assert row["record_ids"][0] == "employee:E5"


def test_a_pay_spike_quotes_the_exact_amounts_against_the_own_history(fired) -> None:
    row = next(r for r in fired if r["pattern"] == "pay_spike")
    assert row["value"] == pytest.approx(2500 / 820)
    assert "gross 2500.00" in row["evidence"] and "at most 820.00" in row["evidence"]


def test_pay_after_termination_counts_the_days_from_termination_to_the_period(fired) -> None:
    row = next(r for r in fired if r["pattern"] == "paid_after_termination")
    assert row["value"] == 4
    assert "2026-11-05" in row["evidence"] and "2026-11-09" in row["evidence"]
