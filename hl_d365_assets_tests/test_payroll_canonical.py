"""Canonical payroll: pay runs and their items from the register's current files (a corrected
file replaces the run, its older lines counted), voids reversing an earlier run, the client's
legal entity, the employees from the register and D365 EmployeesV2 — on a real DuckDB warehouse,
a real Dagster instance and the D365 simulator on loopback."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.pull import EMPLOYEES
from hl_d365_assets.defs.canonical.assets import canonical_payroll, employees
from hl_d365_assets.defs.canonical.checks import (
    allocations_add_up,
    canonical_table_model_checks,
    mappings_checks,
)
from hl_d365_assets.defs.landing.jobs import d365_pull_job
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.payroll_canonical import build_employees
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_TENANT_ID,
    D365Simulator,
)
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.payroll_roster import build_roster
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import transaction
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.payroll_register import (
    CHECK_DATE,
    LANDED,
    RUN_KEY,
    Line,
    RegisterFile,
    build,
    employee_pay,
    land,
    open_warehouse,
    rows,
    run_totals,
)

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
PAYROLL_CHECKS = [
    check
    for check in [*canonical_table_model_checks, *mappings_checks, allocations_add_up]
    if any("payroll" in key.asset_key.to_user_string() for key in check.check_keys)
]


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    with open_warehouse() as connection:
        yield connection


def test_a_pay_run_becomes_items_and_a_run_whose_totals_come_from_the_items(conn) -> None:
    pay = employee_pay(employee="E10001") + employee_pay(employee="E10002", check="10002")
    land(conn, RegisterFile("run.csv", tuple(pay + run_totals(pay))))
    build(conn)

    # RUN_TOTAL lines are totals, not items.
    assert rows(
        conn, "SELECT count(*), count(DISTINCT item_class) FROM canonical.payroll_items"
    ) == [(16, 6)]
    [run] = rows(
        conn,
        "SELECT run_key, legal_entity, currency, files_received, employees, item_rows, "
        "void_rows, gross_amount, ee_tax_amount, er_tax_amount, ee_deduction_amount, "
        "er_benefit_amount, net_pay_amount, register_gross, register_ee_tax, register_net_pay, "
        "mapping_issue FROM canonical.payroll_runs",
    )
    assert run == (
        RUN_KEY, "usrt", "USD", 1, 2, 16, 0,
        Decimal("1000.00"), Decimal("153.00"), Decimal("76.50"), Decimal("50.00"),
        Decimal("40.00"), Decimal("797.00"),
        Decimal("1000.00"), Decimal("153.00"), Decimal("797.00"),
        None,
    )  # fmt: skip
    # Items keep their lineage to the landed line, and the money its exact type.
    assert rows(
        conn,
        "SELECT typeof(amount), typeof(hours), count(DISTINCT event_id), min(file_row) "
        "FROM canonical.payroll_items GROUP BY ALL",
    ) == [("DECIMAL(18,2)", "DECIMAL(18,4)", 16, 1)]


def test_a_corrected_file_replaces_the_whole_run_and_its_older_lines_are_counted(conn) -> None:
    first = RegisterFile(
        "run.csv", tuple(employee_pay(employee="E10001") + employee_pay(employee="E10002"))
    )
    # The correction drops E10002 (paid in error) and lands an hour later.
    corrected = RegisterFile(
        "run_corrected.csv",
        tuple(employee_pay(employee="E10001")),
        received_at=LANDED + timedelta(hours=1),
    )
    land(conn, first, corrected)
    result = build(conn)

    assert rows(
        conn, "SELECT DISTINCT employee_number, file_sha256 FROM canonical.payroll_items"
    ) == [("E10001", corrected.sha256)]
    assert rows(
        conn,
        "SELECT file_name, files_received, employees, gross_amount FROM canonical.payroll_runs",
    ) == [("run_corrected.csv", 2, 1, Decimal("500.00"))]
    assert (result.superseded_lines, result.corrected_runs) == (16, 1)


def test_files_landed_at_the_same_moment_are_ordered_by_file_name(conn) -> None:
    one = RegisterFile("run_a.csv", tuple(employee_pay(employee="E10001")))
    two = RegisterFile("run_b.csv", tuple(employee_pay(employee="E10002")))
    land(conn, two, one)
    build(conn)
    assert rows(conn, "SELECT file_name FROM canonical.payroll_runs") == [("run_b.csv",)]


def test_building_a_day_twice_gives_the_same_tables_and_leaves_other_days_alone(conn) -> None:
    next_week = CHECK_DATE + timedelta(days=7)
    land(
        conn,
        RegisterFile("w1.csv", tuple(employee_pay())),
        RegisterFile("w2.csv", tuple(employee_pay()), check_date=next_week, payroll_run_id="w2"),
    )
    build(conn, CHECK_DATE, next_week)
    tables = ("payroll_runs", "payroll_items", "payroll_allocations")
    before = {t: rows(conn, f"SELECT * FROM canonical.{t} ORDER BY ALL") for t in tables}
    build(conn, next_week)
    build(conn, next_week)
    assert {t: rows(conn, f"SELECT * FROM canonical.{t} ORDER BY ALL") for t in tables} == before
    assert rows(
        conn, "SELECT business_date, count(*) FROM canonical.payroll_runs GROUP BY ALL ORDER BY ALL"
    ) == [(CHECK_DATE, 1), (next_week, 1)]


def test_a_void_in_run_2_of_a_run_1_check_nets_the_employees_items_to_zero(conn) -> None:
    """The void repeats the check's items with positive amounts; canonical makes them negative,
    so the employee's items (and their departments) sum to zero over both runs."""
    # Run 1: E10004 worked in two departments, so the non-earning items split by hours.
    check = [
        Line("E10004", "EARNING", "01", "300.00", hours="20", department_code="100"),
        Line("E10004", "EARNING", "01", "166.67", hours="10.5", department_code="200"),
        Line("E10004", "EE_TAX", "FIT", "47.13"),
        Line("E10004", "NET_PAY", "DD", "419.54"),
        Line("E10004", "ER_TAX", "FICA-SS", "28.93"),
    ]
    run_1 = RegisterFile("run1.csv", tuple(check))
    week_2 = CHECK_DATE + timedelta(days=7)
    void = [
        dataclasses.replace(
            line, check_type="void", check_number="20001", voided_check_number="10001"
        )
        for line in check
    ]
    run_2 = RegisterFile(
        "run2.csv",
        tuple(void + employee_pay(employee="E10005", check="20002")),
        check_date=week_2,
        payroll_run_id="20261125-20261127",
    )
    land(conn, run_1, run_2)
    build(conn, CHECK_DATE, week_2)

    assert rows(
        conn,
        "SELECT DISTINCT check_type, voided_check_number, sign(amount), sign(hours) "
        "FROM canonical.payroll_items WHERE business_date = $day AND employee_number = 'E10004' "
        "ORDER BY ALL",
        {"day": week_2},
    ) == [("void", "10001", -1, -1), ("void", "10001", -1, None)]
    assert rows(
        conn,
        "SELECT sum(amount), sum(hours) FROM canonical.payroll_items WHERE employee_number = 'E10004'",
    ) == [(Decimal("0.00"), Decimal("0.0000"))]
    # Department by department, item by item, to the cent.
    assert (
        rows(
            conn,
            "SELECT item_class, item_code, department_code, sum(amount), count(*) "
            "FROM canonical.payroll_allocations WHERE employee_number = 'E10004' "
            "GROUP BY ALL HAVING sum(amount) <> 0",
        )
        == []
    )
    assert rows(
        conn,
        "SELECT DISTINCT allocation_basis FROM canonical.payroll_allocations "
        "WHERE employee_number = 'E10004' AND item_class <> 'EARNING'",
    ) == [("hours",)]
    [(void_rows, gross)] = rows(
        conn,
        "SELECT void_rows, gross_amount FROM canonical.payroll_runs WHERE business_date = $day",
        {"day": week_2},
    )
    assert (void_rows, gross) == (5, Decimal("500.00") - Decimal("466.67"))


def test_an_unmapped_client_is_named_on_the_run_and_its_items_keep_no_legal_entity(conn) -> None:
    land(conn, RegisterFile("other.csv", tuple(employee_pay()), client_id="HLPR0999"))
    build(conn)
    assert rows(
        conn, "SELECT legal_entity, currency, mapping_issue FROM canonical.payroll_runs"
    ) == [
        (
            None,
            None,
            'unmapped_payroll_client: client "HLPR0999" is not in mappings/payroll_clients.csv '
            "(on or before 2026-11-20)",
        )
    ]
    assert rows(conn, "SELECT DISTINCT legal_entity FROM canonical.payroll_allocations") == [
        (None,)
    ]


def test_the_payroll_assets_materialise_the_day_with_their_checks_in_dagster(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = make_settings(tmp_path / "data")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with open_warehouse(settings.warehouse_path) as conn:
        pay = employee_pay(employee="E10003") + employee_pay(employee="E10006", check="10006")
        land(
            conn,
            # The first version of the run, with E10006 alone: replaced by run.csv.
            RegisterFile(
                "run_first.csv",
                tuple(employee_pay(employee="E10006")),
                received_at=LANDED - timedelta(hours=2),
            ),
            RegisterFile("run.csv", tuple(pay + run_totals(pay))),
            RegisterFile(
                "other.csv", tuple(employee_pay()), client_id="HLPR0999", payroll_run_id="x"
            ),
        )
    result = dg.materialize(
        [canonical_payroll, *PAYROLL_CHECKS],
        partition_key=CHECK_DATE.isoformat(),
        instance=instance,
        resources=build_resources(settings),
        run_config=QUIET,
    )
    assert result.success
    checks = {
        e.check_name + "@" + e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()
    }
    assert checks["allocations_add_up@payroll_allocations"].passed
    assert all(
        checks[f"schema_contract@{t}"].passed
        for t in ("payroll_runs", "payroll_items", "payroll_allocations")
    )
    unmapped = checks["mappings_complete@payroll_runs"]
    assert not unmapped.passed and unmapped.severity == dg.AssetCheckSeverity.WARN
    assert "HLPR0999" in unmapped.metadata["issues"].value
    runs = result.asset_materializations_for_node("canonical_payroll")
    metadata = {m.asset_key.path[-1]: m.metadata for m in runs}
    assert metadata["payroll_runs"]["runs_with_mapping_issue"].value == 1
    assert metadata["payroll_runs"]["superseded_lines"].value == 8
    assert metadata["payroll_runs"]["corrected_runs"].value == 1
    assert (
        metadata["payroll_allocations"]["amounts_by_currency"].value["USD"]["allocation_file"]
        == "1058.25"  # every item of E10003 (allocation file, 60/40)
    )
    assert metadata["payroll_items"]["dagster/row_count"].value == 24


# -- employees -----------------------------------------------------------------------------


def test_employees_take_defaults_from_the_newest_paid_line_and_d365_from_the_dimension_string(
    conn,
) -> None:
    week_2 = CHECK_DATE + timedelta(days=7)
    land(
        conn,
        RegisterFile("w1.csv", tuple(employee_pay(employee="E10001", department_code="100"))),
        # Moved to the stockroom in week 2; a void of week 1's check repeats the old department.
        RegisterFile(
            "w2.csv",
            (
                *employee_pay(employee="E10001", department_code="200", job_code="STOCKCLERK"),
                Line("E10001", "EARNING", "01", "480.00", department_code="100",
                     check_type="void", voided_check_number="10001"),
            ),
            check_date=week_2,
            payroll_run_id="w2",
        ),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO raw.d365_employees VALUES "
        "('E10001', 'USRT', 'EMP-1', '2019-05-01T00:00:00Z', '2154-12-31T23:59:59Z', "
        " '1900-01-01T00:00:00Z', '001-STOCK', now()), "
        "('E20000', 'usrt', 'EMP-2', '2018-01-01T00:00:00Z', '2024-06-30T00:00:00Z', "
        " '2024-06-30T00:00:00Z', '000-ADMIN\\-HQ', now())"
    )
    with transaction(conn):
        load_mappings(conn, PROJECT_ROOT / "mappings")
        by_source = build_employees(conn)
    assert by_source == {"d365": 1, "register+d365": 1}
    assert rows(conn, "SELECT * FROM canonical.employees ORDER BY employee_number") == [
        ("E10001", "usrt", "STORES", "200", "STOCKCLERK", "S001", CHECK_DATE, week_2,
         "E10001", "STOCK", date(2019, 5, 1), None, None, "register+d365"),
        ("E20000", "usrt", None, None, None, None, None, None,
         "E20000", "ADMIN-HQ", date(2018, 1, 1), date(2024, 6, 30), date(2024, 6, 30), "d365"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def pulled_employees(tmp_path_factory: pytest.TempPathFactory):
    """The D365 simulator's seed on loopback, pulled through the real D365 pull job."""
    sim = D365Simulator()
    settings = make_settings(tmp_path_factory.mktemp("payroll_d365") / "data")
    with serve(sim) as server, dg.DagsterInstance.ephemeral() as instance:
        client = D365Client(
            environment_url=server.base_url,
            identity_url_override=server.base_url,
            tenant_id=SANDBOX_TENANT_ID,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        )
        from hl_d365_assets.definitions import defs

        result = defs.resolve_job_def(d365_pull_job.name).execute_in_process(
            instance=instance,
            resources={**build_resources(settings), "d365": client},
            run_config=QUIET,
            raise_on_error=False,
        )
        yield settings, client, instance, result
    sim.close()


def test_the_d365_pull_brings_employeesv2_without_names_and_employees_read_it(
    pulled_employees,
) -> None:
    settings, _, instance, result = pulled_employees
    assert result.success
    roster = build_roster()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert rows(conn, "SELECT count(*) FROM raw.d365_employees") == [(len(roster),)]
        columns = [
            c
            for (c,) in rows(
                conn,
                "SELECT column_name FROM duckdb_columns() "
                "WHERE table_name = 'd365_employees' ORDER BY column_index",
            )
        ]
    assert columns == [
        "PersonnelNumber", "EmploymentLegalEntityId", "EmploymentId", "EmploymentStartDate",
        "EmploymentEndDate", "TerminationDate", "DimensionDisplayValue", "pulled_at",
    ]  # fmt: skip
    landed = b"".join(
        p.read_bytes() for p in (settings.landing_dir / "d365" / EMPLOYEES.entity).rglob("*.ndjson")
    )
    assert not any(person.employee_name.encode() in landed for person in roster)

    materialised = dg.materialize(
        [employees], instance=instance, resources=build_resources(settings), run_config=QUIET
    )
    assert materialised.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert rows(conn, "SELECT sources, count(*) FROM canonical.employees GROUP BY ALL") == [
            ("d365", len(roster))
        ]
        departments = dict(
            rows(conn, "SELECT employee_number, d365_department FROM canonical.employees")
        )
        ended = rows(
            conn, "SELECT count(*) FROM canonical.employees WHERE d365_termination_date IS NOT NULL"
        )
    assert departments == {
        p.employee_number: p.d365_dimension_display_value.split("-")[1] for p in roster
    }
    assert ended == [(sum(p.termination_date is not None for p in roster),)]


def test_the_simulator_filters_selects_and_pages_employeesv2(pulled_employees) -> None:
    _, client, _, _ = pulled_employees
    with client.model_copy(update={"page_size": 25}).open() as api:
        pages = list(
            api.iter_pages(
                "EmployeesV2",
                filter="EmploymentLegalEntityId eq 'usrt' and PersonnelNumber ge 'E10031'",
                select=["PersonnelNumber", "DimensionDisplayValue"],
                orderby="PersonnelNumber",
            )
        )
    records = [record for page in pages for record in page]
    assert len(pages) == 2 and len(records) == 30
    assert records[0] == {"PersonnelNumber": "E10031", "DimensionDisplayValue": "001-MGMT"}
