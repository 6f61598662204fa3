"""The payroll sandbox (issue 17): register exports and bank statements that look like a US
payroll's, balance to the cent, and carry exactly the void, correction and defects the ground
truth names; and the D365 simulator holds the payroll chart, departments and journal name."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.payroll_defects import PAYROLL_DEFECT_KINDS, PayrollDefectRates
from hl_d365_assets.sandbox.payroll_registers import (
    PayrollSandboxConfig,
    generate_payroll,
    write_bench_register,
)
from hl_d365_assets.sandbox.payroll_roster import build_roster
from hl_d365_assets.sandbox.resources import d365_client

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
CONTRACT_HEADERS = [
    "Client ID", "Pay Group", "Payroll Run", "Period Begin", "Period End", "Check Date",
    "Check #", "Check Type", "Voided Check #", "File #", "Employee Name", "Division",
    "Department", "Job", "Location", "Item Class", "Item Code", "Description", "Hours", "Amount",
    "Memo",
]  # fmt: skip
STATEMENT_HEADERS = [
    "Account Number", "Booking Date", "Value Date", "Currency", "Amount", "Reference",
    "Description",
]  # fmt: skip
SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
TOTALLED = {
    "GROSS": "EARNING",
    "EE_TAX": "EE_TAX",
    "ER_TAX": "ER_TAX",
    "EE_DEDUCTION": "EE_DEDUCTION",
    "ER_BENEFIT": "ER_BENEFIT",
    "NET_PAY": "NET_PAY",
}


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def truth_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """November 2026 with every defect kind at its default rate: the inbox's folder."""
    root = tmp_path_factory.mktemp("payroll")
    generate_payroll(
        root / "inbox", FIRST, LAST, PayrollSandboxConfig(defect_rates=PayrollDefectRates())
    )
    return root


@pytest.fixture(scope="module")
def clean_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("payroll_clean")
    generate_payroll(root / "inbox", FIRST, LAST, PayrollSandboxConfig())
    return root


def registers(root: Path) -> dict[str, list[dict[str, str]]]:
    return {p.name: rows_of(p) for p in sorted((root / "inbox/payroll_register").glob("*.csv"))}


def current_registers(root: Path) -> dict[str, list[dict[str, str]]]:
    """Each run's newest file: the corrected version replaces the first."""
    files = registers(root)
    return {
        name: rows
        for name, rows in files.items()
        if name.replace(".csv", "_corrected.csv") not in files
    }


def test_registers_have_the_exports_headers_dates_and_amounts(month: Path) -> None:
    files = registers(month)
    assert len(files) == 7  # 4 Fridays, the 15th and the 30th, and one corrected file
    date_format = re.compile(r"^\d{2}/\d{2}/\d{4}$")
    money = re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}$")
    for name, rows in files.items():
        with (month / "inbox/payroll_register" / name).open(newline="") as handle:
            assert next(csv.reader(handle)) == CONTRACT_HEADERS
        (run_id,) = {row["Payroll Run"] for row in rows}
        check_date = datetime.strptime(rows[0]["Check Date"], "%m/%d/%Y").date()
        assert run_id.endswith(f"-{check_date:%Y%m%d}") and FIRST <= check_date <= LAST
        assert {row["Client ID"] for row in rows} == {"HLPR0001"}
        for row in rows:
            assert all(date_format.match(row[c]) for c in ("Period Begin", "Period End"))
            assert money.match(row["Amount"]), row["Amount"]
    assert any("," in row["Amount"] for rows in files.values() for row in rows)
    weekly = [n for n in files if "_WEEKLY_" in n]
    codes = Counter(row["Item Code"] for n in weekly for row in files[n])
    assert {"01", "02", "61", "62", "TIPS", "FIT", "SIT", "FICA-SS", "FICA-MED", "FUTA", "SUTA",
            "401K", "MEDICAL", "DENTAL", "401K-MATCH", "DD", "CHECK"} <= set(codes)  # fmt: skip
    salaried = {row["Item Code"] for n in files if "_SEMIMONTHLY_" in n for row in files[n]}
    assert "SAL" in salaried and not {"01", "61", "TIPS"} & salaried
    for path in (month / "inbox/bank_statement").glob("*.csv"):
        with path.open(newline="") as handle:
            assert next(csv.reader(handle)) == STATEMENT_HEADERS


def test_every_check_balances_to_the_cent(month: Path) -> None:
    checks: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for name, rows in registers(month).items():
        for row in rows:
            if row["Item Class"] != "RUN_TOTAL":
                checks[name, row["Check #"]][row["Item Class"]] += amount(row["Amount"])
    assert len(checks) > 200
    for check, totals in checks.items():
        withheld = totals["EE_TAX"] + totals["EE_DEDUCTION"] + totals["NET_PAY"]
        assert totals["EARNING"] == withheld, check
        assert totals["NET_PAY"] > 0


def mismatched_totals(rows: list[dict[str, str]]) -> set[str]:
    sums: Counter = Counter()
    for row in rows:
        if row["Item Class"] != "RUN_TOTAL":
            sign = -1 if row["Check Type"] == "void" else 1
            sums[row["Item Class"]] += sign * amount(row["Amount"])
    printed = {r["Item Code"]: amount(r["Amount"]) for r in rows if r["Item Class"] == "RUN_TOTAL"}
    assert set(printed) == set(TOTALLED)
    return {code for code, item_class in TOTALLED.items() if printed[code] != sums[item_class]}


def test_run_totals_equal_the_lines_on_a_clean_run_and_differ_where_injected(
    month: Path, clean_month: Path
) -> None:
    for rows in registers(clean_month).values():
        assert mismatched_totals(rows) == set()
    injected = {
        (entry["file"], entry["detail"].split()[1])
        for entry in truth_of(month / "payroll_ground_truth.ndjson")
        if entry.get("defect") == "run_total_mismatch"
    }
    found = {(name, code) for name, rows in registers(month).items()
             for code in mismatched_totals(rows)}  # fmt: skip
    assert found == injected and found


def test_the_void_repeats_the_voided_checks_items_in_a_later_run(month: Path) -> None:
    (void,) = [
        e for e in truth_of(month / "payroll_ground_truth.ndjson") if e.get("scenario") == "void"
    ]
    files = registers(month)
    void_rows = [r for r in files[void["file"]] if r["Check Type"] == "void"]
    assert [int(r) for r in void["rows"]] == [
        i for i, r in enumerate(files[void["file"]], start=1) if r["Check Type"] == "void"
    ]
    voided_file = next(
        n
        for n, rows in files.items()
        if rows[0]["Payroll Run"] == void["voided_run_key"].split("|")[2]
    )
    original = [r for r in files[voided_file] if r["Check #"] == void["voided_check_number"]]

    def items(rows: list[dict[str, str]]) -> list[tuple]:
        return [(r["File #"], r["Department"], r["Item Class"], r["Item Code"], r["Hours"],
                 r["Amount"]) for r in rows]  # fmt: skip

    assert items(void_rows) == items(original) and original
    assert {r["Voided Check #"] for r in void_rows} == {void["voided_check_number"]}
    assert {r["Check #"] for r in void_rows} == {void["check_number"]}
    assert void_rows[0]["Check Date"] > original[0]["Check Date"]
    assert original[-1]["Item Code"] == "CHECK"  # a lost paper check


def test_the_corrected_file_keeps_the_run_key_and_changes_one_check(month: Path) -> None:
    (entry,) = [
        e for e in truth_of(month / "payroll_ground_truth.ndjson")
        if e.get("scenario") == "corrected_file"
    ]  # fmt: skip
    folder = month / "inbox/payroll_register"
    first, corrected = rows_of(folder / entry["replaces"]), rows_of(folder / entry["file"])

    def run_keys(rows: list[dict[str, str]]) -> set[tuple[str, str, str]]:
        return {(r["Client ID"], r["Pay Group"], r["Payroll Run"]) for r in rows}

    assert run_keys(first) == run_keys(corrected) == {tuple(entry["run_key"].split("|"))}
    digests = {
        hashlib.sha256((folder / n).read_bytes()).hexdigest()
        for n in (entry["replaces"], entry["file"])
    }
    assert digests == {entry["sha256"], entry["replaces_sha256"]} and len(digests) == 2
    changed = {r["File #"] for r in corrected if r not in first and r["File #"]}
    assert changed == {entry["employee_number"]}


def test_every_defect_is_in_the_ground_truth_and_only_there(month: Path) -> None:
    truth = truth_of(month / "payroll_ground_truth.ndjson")
    defects = [e for e in truth if "defect" in e]
    assert Counter(e["defect"] for e in defects).keys() == set(PAYROLL_DEFECT_KINDS)
    inbox = month / "inbox"
    found: set[tuple[str, str, int]] = set()
    for name, rows in registers(month).items():
        for number, row in enumerate(rows, start=1):
            if row["Item Class"] == "EARNING" and row["Item Code"] == "77":
                found.add(("unknown_earning_code", name, number))
            if row["Department"] == "400":
                found.add(("unknown_department", name, number))
            if any(SSN.search(value) for value in row.values()):
                found.add(("ssn_in_memo", name, number))
                assert SSN.search(row["Memo"])
    for path in sorted((inbox / "bank_statement").glob("*.csv")):
        for row in rows_of(path):
            assert not SSN.search(",".join(row.values()))
    expected = {
        (e["defect"], e["file"], row)
        for e in defects
        if e["defect"] in ("unknown_earning_code", "unknown_department", "ssn_in_memo")
        for row in e["rows"]
    }
    assert found == expected
    for entry in defects:
        data = (
            inbox
            / ("payroll_register" if entry["entity"] == "register" else "bank_statement")
            / entry["file"]
        ).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        prefix = "HP" if entry["entity"] == "register" else "BS"
        assert entry["sha256"] == sha and entry["event_id"] == f"{prefix}_{sha[:16]}_{entry['row']}"
    # The ground truth names SSNs by their last four digits only.
    assert not SSN.search((month / "payroll_ground_truth.ndjson").read_text())


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    config = PayrollSandboxConfig(seed=5, employees=30, defect_rates=PayrollDefectRates())
    for name in ("a", "b"):
        generate_payroll(tmp_path / name / "inbox", FIRST, date(2026, 11, 20), config)

    def contents(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }

    assert contents(tmp_path / "a") == contents(tmp_path / "b")
    generate_payroll(
        tmp_path / "c" / "inbox",
        FIRST,
        date(2026, 11, 20),
        PayrollSandboxConfig(seed=6, employees=30),
    )
    assert contents(tmp_path / "c") != contents(tmp_path / "a")


def test_no_one_is_paid_before_hire_or_for_a_period_after_termination(tmp_path: Path) -> None:
    # Spring 2022: E10024 (weekly) leaves on Monday 18 April, E10017 (salaried) on 30 May.
    generate_payroll(tmp_path / "inbox", date(2022, 4, 1), date(2022, 6, 30))
    people = {person.employee_number: person for person in build_roster()}
    last_check: dict[str, date] = {}
    for rows in registers(tmp_path).values():
        for row in rows:
            if not row["File #"]:
                continue
            person = people[row["File #"]]
            begin, end, check = (datetime.strptime(row[c], "%m/%d/%Y").date()
                                 for c in ("Period Begin", "Period End", "Check Date"))  # fmt: skip
            assert person.hire_date <= end
            assert person.termination_date is None or person.termination_date >= begin
            last_check[person.employee_number] = max(
                check, last_check.get(person.employee_number, check)
            )
    assert last_check["E10024"] == date(2022, 4, 29)  # the week the termination falls in
    assert last_check["E10017"] == date(2022, 5, 31)
    hired_later = [p for p in people.values() if p.hire_date > date(2022, 6, 30)]
    assert hired_later and not {p.employee_number for p in hired_later} & set(last_check)


def test_bank_statements_debit_each_runs_net_pay_and_taxes_on_its_check_date(month: Path) -> None:
    offsets = {
        e["run_key"].split("|")[2]: Decimal(e["detail"].split()[-1])
        for e in truth_of(month / "payroll_ground_truth.ndjson")
        if e.get("defect") == "funding_difference"
    }
    debits = {}
    for path in (month / "inbox/bank_statement").glob("*.csv"):
        for row in rows_of(path):
            if row["Reference"].startswith("PAYROLL "):
                debits[row["Reference"]] = (row["Booking Date"], Decimal(row["Amount"]))
    assert len(debits) == 2 * len(current_registers(month))
    for rows in current_registers(month).values():
        sums: Counter = Counter()
        for row in rows:
            if row["Item Class"] != "RUN_TOTAL":
                sums[row["Item Class"]] += (-1 if row["Check Type"] == "void" else 1) * amount(
                    row["Amount"]
                )
        run_id, check_date = rows[0]["Payroll Run"], rows[0]["Check Date"]
        net = sums["NET_PAY"] + offsets.get(run_id, Decimal(0))
        assert debits[f"PAYROLL {run_id} NET"] == (check_date, -net)
        assert debits[f"PAYROLL {run_id} TAX"] == (check_date, -(sums["EE_TAX"] + sums["ER_TAX"]))
    assert offsets


def test_the_benchmark_run_is_20000_employees_of_about_15_items(tmp_path: Path) -> None:
    path, rows = write_bench_register(tmp_path)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE register AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
        [str(path)],
    )
    lines, employees, runs = con.execute(
        'SELECT count(*), count(DISTINCT "File #"), count(DISTINCT "Payroll Run") FROM register'
    ).fetchone()
    assert (lines, employees, runs) == (rows, 20_000, 1)
    assert 14.5 <= (rows - 6) / 20_000 <= 16
    # Printed totals equal the lines', summed exactly (DECIMAL, separators removed).
    assert con.execute(
        """
        WITH amounts AS (
            SELECT "Item Class" AS item_class, "Item Code" AS item_code,
                   replace("Amount", ',', '')::DECIMAL(18, 2) AS amount
            FROM register
        ), line_totals AS (
            SELECT CASE item_class WHEN 'EARNING' THEN 'GROSS' ELSE item_class END AS code,
                   sum(amount) AS total
            FROM amounts WHERE item_class <> 'RUN_TOTAL' GROUP BY ALL
        )
        SELECT count(*) FROM amounts JOIN line_totals ON code = item_code
        WHERE item_class = 'RUN_TOTAL' AND amount = total
        """
    ).fetchone() == (6,)


def test_the_command_fills_the_inbox_and_keeps_the_truth_outside_it(tmp_path: Path, capsys) -> None:
    inbox = tmp_path / "inbox"
    status = main(["sandbox", "payroll", "--inbox", str(inbox), "--from", "2026-11-09",
                   "--to", "2026-11-20", "--employees", "20", "--defects"])  # fmt: skip
    assert status == 0
    assert sorted(p.name for p in inbox.iterdir()) == ["bank_statement", "payroll_register"]
    assert len(list((inbox / "payroll_register").glob("*.csv"))) == 4
    assert (tmp_path / "payroll_ground_truth.ndjson").exists()
    assert "ground truth:" in capsys.readouterr().out


def test_the_d365_simulator_holds_the_payroll_chart_departments_and_journal(tmp_path: Path) -> None:
    sim = D365Simulator(tmp_path / "d365.sqlite")
    with serve(sim) as server, d365_client(server.base_url).open() as api:
        accounts = {r["MainAccountId"]: r["Name"] for r in api.read_all("MainAccounts")}
        values = {
            (r["FinancialDimension"], r["DimensionValue"])
            for r in api.read_all("FinancialDimensionValues")
        }
        journals = {(r["dataAreaId"], r["Name"]) for r in api.read_all("JournalNames")}
    sim.close()
    assert accounts["610100"] == "Salaries and wages"
    assert accounts["231500"] == "Net pay clearing"
    payroll_accounts = {"610100", "610200", "610300", "610400", "610500",
                        "231100", "231200", "231300", "231400", "231500"}  # fmt: skip
    assert payroll_accounts <= set(accounts)
    assert {("Department", d) for d in ("SALES", "STOCK", "MGMT", "ADMIN")} <= values
    assert ("BusinessUnit", "000") in values
    assert ("Department", "VISMERCH") not in values
    assert ("usrt", "PayrollJrn") in journals


def test_the_command_refuses_to_write_in_production(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HL_D365_MODE", "production")
    monkeypatch.setenv("HL_D365_DATA_DIR", str(tmp_path / "data"))
    inbox = tmp_path / "inbox"
    status = main(["sandbox", "payroll", "--inbox", str(inbox), "--from", "2026-11-09",
                   "--to", "2026-11-20"])  # fmt: skip
    assert status == 2 and "hl-d365 sandbox" in capsys.readouterr().err
    assert not inbox.exists()


def test_an_unknown_department_is_never_put_where_the_allocation_file_reassigns_pay(
    tmp_path: Path,
) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "payroll_allocations.csv").write_text(
        "basis_type,basis_value,department_code,location_code,percent,valid_from\n"
        "job,CASHIER,100,,60,2020-01-01\njob,CASHIER,200,,40,2020-01-01\n"
        "employee,E10007,100,S001,100,2020-01-01\n"
    )
    rates = PayrollDefectRates(unknown_department=0.3)
    generate_payroll(
        tmp_path / "inbox",
        FIRST,
        LAST,
        PayrollSandboxConfig(defect_rates=rates, mappings_dir=mappings),
    )
    in_400 = [
        row for rows in registers(tmp_path).values() for row in rows if row["Department"] == "400"
    ]
    assert in_400
    assert not [row for row in in_400 if row["Job"] == "CASHIER" or row["File #"] == "E10007"]
