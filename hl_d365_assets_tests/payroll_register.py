"""Register lines for the canonical payroll tests, inserted straight into raw.payroll_register of
a real warehouse (the shape the contract fixes; the intake piece fills it in production), and the
build of the canonical payroll tables over them."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import shutil
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from hl_d365_assets.payroll_canonical import PayrollBuild, build_payroll_tables
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, transaction

CHECK_DATE = date(2026, 11, 20)
CLIENT = "HLPR0001"
RUN_ID = "20261118-20261120"
RUN_KEY = f"{CLIENT}|WEEKLY|{RUN_ID}"
LANDED = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
LINE_TYPES = {
    "amount": pl.Decimal(18, 2),
    "hours": pl.Decimal(18, 4),
    "period_begin": pl.Date,
    "received_at": pl.Datetime("us", "UTC"),
}


@dataclasses.dataclass(frozen=True)
class Line:
    """One register line; amounts as the register prints them (positive)."""

    employee_number: str | None
    item_class: str
    item_code: str
    amount: str
    hours: str | None = None
    department_code: str | None = "100"
    location_code: str | None = "S001"
    job_code: str | None = "CASHIER"
    division: str | None = "STORES"
    check_number: str | None = "10001"
    check_type: str = "regular"
    voided_check_number: str | None = None


@dataclasses.dataclass(frozen=True)
class RegisterFile:
    """One dropped register file: one pay run."""

    name: str
    lines: tuple[Line, ...]
    received_at: datetime = LANDED
    check_date: date = CHECK_DATE
    payroll_run_id: str = RUN_ID
    client_id: str = CLIENT
    pay_group: str = "WEEKLY"

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(repr((self.name, self.lines)).encode()).hexdigest()


def open_warehouse(path: Path | str = ":memory:") -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    ensure_schema(conn)
    return conn


def land(conn: duckdb.DuckDBPyConnection, *files: RegisterFile) -> None:
    """The files' lines as the raw layer would hold them."""
    rows = [
        {
            "business_date": file.check_date,
            "segment_path": f"landing/heartland_payroll/register/{file.name}.ndjson",
            "line_number": row,
            "event_id": f"HP_{file.sha256[:16]}_{row}",
            "event_type": "heartland_payroll.register_line",
            "received_at": file.received_at,
            "file_sha256": file.sha256,
            "file_name": file.name,
            "file_row": row,
            "client_id": file.client_id,
            "pay_group": file.pay_group,
            "payroll_run_id": file.payroll_run_id,
            "period_begin": None,
            "period_end": file.check_date,
            "check_date": file.check_date,
            **{
                name: value
                for name, value in dataclasses.asdict(line).items()
                if name not in ("amount", "hours")
            },
            "amount": Decimal(line.amount),
            "hours": None if line.hours is None else Decimal(line.hours),
        }
        for file in files
        for row, line in enumerate(file.lines, start=1)
    ]
    lines = pl.DataFrame(rows, schema_overrides=LINE_TYPES, infer_schema_length=None)  # noqa: F841
    conn.execute("INSERT INTO raw.payroll_register BY NAME SELECT * FROM lines").fetchall()


def mappings_with(tmp_path: Path, **files: str) -> Path:
    """A copy of mappings/ with ``files`` (name without .csv → whole content) replaced."""
    directory = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", directory, dirs_exist_ok=True)
    for name, content in files.items():
        (directory / f"{name}.csv").write_text(content)
    return directory


def build(
    conn: duckdb.DuckDBPyConnection,
    first: date = CHECK_DATE,
    last: date | None = None,
    mappings: Path = PROJECT_ROOT / "mappings",
) -> PayrollBuild:
    with transaction(conn):
        load_mappings(conn, mappings)
        return build_payroll_tables(conn, first, last or first)


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    return conn.execute(sql, params or {}).fetchall()


def employee_pay(*, employee: str = "E10001", check: str = "10001", **line: object) -> list[Line]:
    """A balanced check: earnings 500.00 = taxes 76.50 + deductions 25.00 + net 398.50; employer
    tax 38.25 and benefit 20.00."""
    common = {"employee_number": employee, "check_number": check, **line}
    return [
        Line(item_class="EARNING", item_code="01", amount="480.00", hours="32", **common),
        Line(item_class="EARNING", item_code="02", amount="20.00", hours="1", **common),
        Line(item_class="EE_TAX", item_code="FIT", amount="38.25", **common),
        Line(item_class="EE_TAX", item_code="FICA-SS", amount="38.25", **common),
        Line(item_class="EE_DEDUCTION", item_code="401K", amount="25.00", **common),
        Line(item_class="NET_PAY", item_code="DD", amount="398.50", **common),
        Line(item_class="ER_TAX", item_code="FICA-SS", amount="38.25", **common),
        Line(item_class="ER_BENEFIT", item_code="401K-MATCH", amount="20.00", **common),
    ]


def run_totals(lines: Iterable[Line]) -> list[Line]:
    """The register's own RUN_TOTAL lines for ``lines``."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        code = "GROSS" if line.item_class == "EARNING" else line.item_class
        sums[code] = sums.get(code, Decimal(0)) + Decimal(line.amount)
    return [
        Line(
            employee_number=None, item_class="RUN_TOTAL", item_code=code, amount=str(total),
            department_code=None, location_code=None, job_code=None, division=None,
            check_number=None,
        )
        for code, total in sums.items()
    ]  # fmt: skip
