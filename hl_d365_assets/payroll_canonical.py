"""Canonical payroll (issue 17): pay runs, their items and the items charged to departments, built
per check date from raw.payroll_register by the SQL files in sql/canonical/; and the employees,
rebuilt whole from the register and D365's EmployeesV2.

The three per-day tables are built in one transaction from one read of the register: the
current file of each pay run is staged once (a corrected file replaces the run), its lines become
items, each item is given its allocation basis (allocation file, hours or its own department)
and split cent-exact, and the runs are summed from the items. docs/payroll-canonical.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

PAYROLL_TABLES: dict[str, str] = {
    "payroll_items": "Payroll register items of each pay run's current file: employee × item "
    "class × item code × department, hours and exact signed amounts (a void check's negative), "
    "lineage to the landed line. RUN_TOTAL lines are not items: they feed the run's register_* "
    "totals.",
    "payroll_allocations": "Each payroll item charged to departments: an allocation file version "
    "(per employee, then per job), hours worked per department (an employee's non-earning items), "
    "or the line's own department; cent-exact by the largest-remainder rule. The payroll journals "
    "are built from it.",
    "payroll_runs": "Pay runs in the version of their newest file (a corrected file replaces the "
    "run; the older lines are counted as superseded), totals per item class from the items, the "
    "register's own totals, the legal entity and currency of the client, and what holds the run "
    "(mapping_issue).",
}
"""Table -> description, in build order: the runs are summed from the items and name the
allocation versions that hold them."""
STAGING = ("current_payroll_lines", "payroll_item_bases")


@dataclass
class PayrollBuild:
    """What one build of a check-date range did, for the assets' metadata."""

    superseded_lines: int = 0
    corrected_runs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def build_payroll_tables(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> PayrollBuild:
    """Replace check dates ``first``..``last`` of the three tables; the caller holds the
    transaction and has loaded the mappings (ref.payroll_clients, ref.payroll_allocations)."""
    window = {"first": first, "last": last}
    build = PayrollBuild()
    started = time.perf_counter()
    for table in PAYROLL_TABLES:
        run_script(conn, sql_file("canonical/delete_partition.sql", table=table), window)
    run_script(conn, sql_file("canonical/stage_current_payroll_lines.sql"), window)
    run_script(conn, sql_file("canonical/insert_payroll_items.sql"), window)
    run_script(conn, sql_file("canonical/stage_payroll_item_bases.sql"), window)
    run_script(conn, sql_file("canonical/insert_payroll_allocations.sql"), window)
    run_script(conn, sql_file("canonical/insert_payroll_runs.sql"), window)
    [(build.superseded_lines, build.corrected_runs)] = conn.execute(
        sql_file("canonical/count_superseded_payroll_lines.sql")
    ).fetchall()
    for staged in STAGING:
        conn.execute(f"DROP TABLE {staged}").fetchall()
    build.seconds["sql"] = round(time.perf_counter() - started, 3)
    return build


def build_employees(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild canonical.employees whole; the caller holds the transaction and has loaded the
    mappings (ref.payroll_clients, ref.gl_account_structure). Employees by source."""
    run_script(conn, sql_file("canonical/insert_employees.sql"))
    return dict(conn.execute(sql_file("canonical/count_employees_by_source.sql")).fetchall())
