"""Small payroll register and bank statement exports, written the way the sandbox's export
writes them (its own headers, MM/DD/YYYY dates, thousands separators), for the intake tests."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from hl_d365_assets.definitions import defs
from hl_d365_assets.defs.payroll.jobs import payroll_job
from hl_d365_assets.defs.payroll.sensors import payroll_inbox_sensor
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.resources import LandingZoneResource, MappingsResource, PayrollInboxResource
from hl_d365_assets.settings import Settings

REGISTER_HEADERS = [
    "Client ID", "Pay Group", "Payroll Run", "Period Begin", "Period End", "Check Date",
    "Check #", "Check Type", "Voided Check #", "File #", "Employee Name", "Division",
    "Department", "Job", "Location", "Item Class", "Item Code", "Description", "Hours", "Amount",
    "Memo",
]  # fmt: skip
BANK_HEADERS = [
    "Account Number", "Booking Date", "Value Date", "Currency", "Amount", "Reference", "Description",
]  # fmt: skip


@dataclass
class PayLine:
    employee: str
    item_class: str
    item_code: str
    amount: str
    hours: str = ""
    memo: str = ""
    department: str = "100"
    check: str = "100201"
    check_type: str = "Regular"
    extra: dict[str, str] = field(default_factory=dict)


def register_csv(
    lines: list[PayLine],
    check_date: date,
    *,
    run_id: str | None = None,
    drop_headers: tuple[str, ...] = (),
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    """A register export: one row per employee x item, plus its run totals."""
    us = check_date.strftime("%m/%d/%Y")
    run = run_id or f"{check_date:%Y%m%d}-{check_date:%Y%m%d}"
    headers = [h for h in REGISTER_HEADERS if h not in drop_headers] + list(extra_headers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for line in lines:
        row = {
            "Client ID": "HLPR0001", "Pay Group": "WEEKLY", "Payroll Run": run,
            "Period Begin": "11/09/2026", "Period End": "11/15/2026", "Check Date": us,
            "Check #": line.check, "Check Type": line.check_type, "Voided Check #": "",
            "File #": line.employee, "Employee Name": f"Name Of {line.employee}",
            "Division": "STORES", "Department": line.department, "Job": "CASHIER",
            "Location": "S001", "Item Class": line.item_class, "Item Code": line.item_code,
            "Description": line.item_code, "Hours": line.hours, "Amount": line.amount,
            "Memo": line.memo,
        }  # fmt: skip
        writer.writerow(row | line.extra)
    return out.getvalue().encode()


def bank_csv(rows: list[tuple[date, str, str]], account: str = "000123456789") -> bytes:
    """A bank statement: (booking date, signed amount, reference) per line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BANK_HEADERS)
    for booked, amount, reference in rows:
        us = booked.strftime("%m/%d/%Y")
        writer.writerow([account, us, us, "USD", amount, reference, "ACH DEBIT"])
    return out.getvalue().encode()


def drop(inbox: Path, folder: str, name: str, data: bytes) -> Path:
    path = inbox / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def tick(
    instance: dg.DagsterInstance,
    settings: Settings,
    inbox: str,
    archive: str,
    cursor: str | None = None,
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={
            "landing": LandingZoneResource(root=str(settings.landing_dir)),
            "mappings": MappingsResource(directory=str(settings.mappings_dir)),
            "payroll_inbox": PayrollInboxResource(inbox=inbox, archive=archive),
        },
    )
    return payroll_inbox_sensor(context)


def run_payroll(
    settings: Settings, instance: dg.DagsterInstance, day: str, **kwargs
) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(payroll_job.name).execute_in_process(
        partition_key=day, instance=instance, resources=build_resources(settings), **kwargs
    )


def run_requested(
    settings: Settings, instance: dg.DagsterInstance, requests: list[dg.RunRequest]
) -> dg.ExecuteInProcessResult:
    """The days the sensor asked for, in one single-run backfill over their range (cheaper in a
    test than a run per day, and the same tables: each day is replaced on its own)."""
    days = sorted({r.partition_key for r in requests})
    return defs.resolve_job_def(payroll_job.name).execute_in_process(
        instance=instance,
        resources=build_resources(settings),
        tags={
            "dagster/asset_partition_range_start": days[0],
            "dagster/asset_partition_range_end": days[-1],
        },
    )


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def warehouse_text(settings: Settings) -> str:
    """Every value of every table, as text: what must never hold an SSN or bank number."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"
        ).fetchall()
        return "\n".join(
            str(row)
            for schema, table in tables
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
        )
