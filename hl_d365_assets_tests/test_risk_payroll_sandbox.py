"""The payroll sandbox's risk patterns (sandbox/payroll_risk.py): ghost employees and duplicated
paychecks injected into two months of registers, landed by the inbox sensor and payroll_job, and
found by sql/risk/features_payroll.sql and the rules of mappings/risk_rules.csv at the contract's
recall and precision; with the patterns off (the default) the registers are as before.

Until piece E's ``fingerprint`` column format lands, the mapping drops the register's direct-deposit
account column, so this test stands in for it: it hashes each landed line's account from the
dropped file (a keyed SHA-256, as E's format will) into canonical.payroll_items.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.sandbox.payroll_registers import PayrollSandboxConfig, generate_payroll
from hl_d365_assets.sandbox.payroll_risk import DEPOSIT_ACCOUNT_HEADER, PayrollRiskRates
from hl_d365_assets.sandbox.payroll_roster import build_roster
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.payroll_files import run_requested, tick
from hl_d365_assets_tests.risk_features import alerting, fired_rules, write_features

FIRST, LAST = date(2026, 10, 1), date(2026, 11, 30)
SCORED = date(2026, 11, 1)
RATES = PayrollRiskRates(ghost_employee=0.02, duplicate_paycheck=0.02)
TEST_KEY = b"risk-test-fingerprint-key"


@dataclasses.dataclass
class PayrollMonths:
    inbox: Path
    warehouse: Path
    truth: list[dict]
    registers: dict[str, bytes]
    """file name -> bytes, as dropped."""


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayrollMonths]:
    root = tmp_path_factory.mktemp("risk_payroll")
    inbox, archive = root / "payroll", root / "archive"
    settings = dataclasses.replace(
        make_settings(root / "data"), payroll_inbox_url=str(inbox), payroll_archive_url=str(archive)
    )
    report = generate_payroll(
        inbox, FIRST, LAST, PayrollSandboxConfig(risk=RATES), ground_truth_path=root / "gt.ndjson"
    )
    registers = {path.name: path.read_bytes() for path in report.registers}
    with dg.DagsterInstance.ephemeral() as instance:
        sensed = tick(instance, settings, str(inbox), str(archive))
        assert run_requested(settings, instance, list(sensed.run_requests)).success
    truth_path = root / "sandbox" / "risk_truth.ndjson"
    truth = [json.loads(line) for line in truth_path.read_text().splitlines()]
    yield PayrollMonths(inbox, settings.warehouse_path, truth, registers)


def fingerprints(registers: dict[str, bytes]) -> list[tuple[str, int, str]]:
    """(file sha256, data row, keyed hash of the row's deposit account) of every row with one."""
    found = []
    for data in registers.values():
        sha = hashlib.sha256(data).hexdigest()
        for row, values in enumerate(csv.DictReader(io.StringIO(data.decode())), start=1):
            account = values.get(DEPOSIT_ACCOUNT_HEADER) or ""
            if account:
                digest = hashlib.sha256(TEST_KEY + account.encode()).hexdigest()
                found.append((sha, row, digest))
    return found


@pytest.fixture(scope="module")
def fired(months: PayrollMonths) -> list[dict]:
    with duckdb.connect(str(months.warehouse)) as conn:
        conn.execute("CREATE TEMP TABLE landed_accounts (sha VARCHAR, row BIGINT, fp VARCHAR)")
        conn.executemany(
            "INSERT INTO landed_accounts VALUES (?, ?, ?)", fingerprints(months.registers)
        )
        conn.execute(
            """
            UPDATE canonical.payroll_items AS i SET bank_account_fingerprint = a.fp
            FROM landed_accounts AS a WHERE a.sha = i.file_sha256 AND a.row = i.file_row
            """
        )
        write_features(conn, "payroll", SCORED, LAST)
        return fired_rules(conn, "payroll")


def test_the_register_gains_the_deposit_account_column_only_with_risk_patterns_on(
    months: PayrollMonths, tmp_path: Path
) -> None:
    header = next(iter(months.registers.values())).split(b"\r\n")[0].decode()
    assert header.endswith("," + DEPOSIT_ACCOUNT_HEADER)
    clean = generate_payroll(tmp_path / "payroll", FIRST, FIRST.replace(day=16))
    assert all(DEPOSIT_ACCOUNT_HEADER.encode() not in p.read_bytes() for p in clean.registers)
    assert not (tmp_path / "sandbox" / "risk_truth.ndjson").exists()


def test_a_ghost_is_a_new_number_paid_into_an_existing_employees_account(
    months: PayrollMonths,
) -> None:
    roster = {person.employee_number for person in build_roster()}
    ghosts = {
        line["record_id"].removeprefix("employee:")
        for line in months.truth
        if line["pattern"] == "ghost_employee" and line["record_id"].startswith("employee:")
    }
    assert ghosts and not ghosts & roster
    rows = [
        values
        for data in months.registers.values()
        for values in csv.DictReader(io.StringIO(data.decode()))
        if values["Item Class"] == "NET_PAY" and values[DEPOSIT_ACCOUNT_HEADER]
    ]
    for ghost in ghosts:
        [account] = {r[DEPOSIT_ACCOUNT_HEADER] for r in rows if r["File #"] == ghost}
        assert {r["File #"] for r in rows if r[DEPOSIT_ACCOUNT_HEADER] == account} - {ghost}


def test_truth_lines_follow_the_contract(months: PayrollMonths) -> None:
    patterns = {line["pattern"] for line in months.truth}
    assert patterns == {"ghost_employee", "duplicate_paycheck"}
    for line in months.truth:
        assert set(line) == {"business_date", "pattern", "instance_id", "record_id"}
        assert line["record_id"].split(":")[0] in {"employee", "payroll_item"}


def test_injected_patterns_are_found_at_the_contracts_recall_and_precision(
    months: PayrollMonths, fired: list[dict]
) -> None:
    scored = [line for line in months.truth if line["business_date"] >= SCORED.isoformat()]
    truth_records = {line["record_id"] for line in scored}
    alerts: dict[tuple, set[str]] = {}
    # The pay runs before the scored month went through payroll_job, whose risk step scored them
    # too: compare the scored month's alerts with the scored month's truth.
    for row in (r for r in alerting(fired) if r["business_date"] >= SCORED):
        alerts.setdefault((row["business_date"], row["entity_id"]), set()).update(row["record_ids"])
    alerted = set().union(*alerts.values()) if alerts else set()
    instances: dict[tuple[str, str], set[str]] = {}
    for line in scored:
        instances.setdefault((line["pattern"], line["instance_id"]), set()).add(line["record_id"])
    for pattern in ("ghost_employee", "duplicate_paycheck"):
        mine = [records for (p, _), records in instances.items() if p == pattern]
        assert mine, f"no {pattern} injected in the scored month: the test would prove nothing"
        recall = sum(1 for records in mine if records & alerted) / len(mine)
        assert recall >= 0.9, pattern
    precision = sum(1 for records in alerts.values() if records & truth_records) / len(alerts)
    assert precision >= 0.8
