"""Pay runs to the general ledger (issue 17, items 6-8): each pay run becomes one balanced journal
per legal entity, expense per BusinessUnit and Department and liabilities without dimensions,
held with its reasons when an item is unmapped, a department D365 lacks is used or the register's
own totals disagree; posted to D365 exactly once through the one poster, a corrected run as an
adjustment; and the funding of net pay and taxes reconciled against the bank.

The canonical payroll tables are piece C's: these tests insert rows shaped as the contract says
into a real warehouse (ensure_schema), build the journals with the shipped mapping files, and
post to the D365 simulator served on loopback."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hl_d365_assets.d365.client import D365Api, D365Client
from hl_d365_assets.defs.raw.checks import CHART_OF_ACCOUNTS
from hl_d365_assets.ledger.exactly_once import post_day
from hl_d365_assets.ledger.journal_key import IdempotencyKey, JournalKey
from hl_d365_assets.ledger.payroll_funding import reconcile_payroll_funding
from hl_d365_assets.ledger.payroll_journals import build_payroll_journals
from hl_d365_assets.ledger.read_back import read_back_day
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_TENANT_ID,
    D365Simulator,
)
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.settings import PROJECT_ROOT, load_settings
from hl_d365_assets.warehouse import WarehouseResource, run_script, sql_file, transaction

CHECK_DATE = date(2026, 11, 20)
CENT = Decimal("0.01")
MAPPINGS = PROJECT_ROOT / "mappings"
CLASSES = ("EARNING", "EE_TAX", "ER_TAX", "EE_DEDUCTION", "ER_BENEFIT", "NET_PAY")
TOTAL_COLUMNS = {
    "EARNING": "gross",
    "EE_TAX": "ee_tax",
    "ER_TAX": "er_tax",
    "EE_DEDUCTION": "ee_deduction",
    "ER_BENEFIT": "er_benefit",
    "NET_PAY": "net_pay",
}


@dataclasses.dataclass(frozen=True)
class Item:
    """One register line as canonical.payroll_items holds it, with its allocation to
    departments: ``parts`` (department, location, amount) summing to the amount."""

    employee: str
    item_class: str
    item_code: str
    amount: Decimal
    department: str = "100"
    location: str = "S001"
    parts: tuple[tuple[str, str, Decimal], ...] = ()

    def allocations(self) -> tuple[tuple[str, str, Decimal], ...]:
        return self.parts or ((self.department, self.location, self.amount),)


def paycheck(
    employee: str,
    earnings: dict[str, str],
    *,
    ee_tax: str = "0",
    deduction: str = "0",
    er_tax: str = "0",
    er_benefit: str = "0",
    department: str = "100",
    location: str = "S001",
    sign: int = 1,
) -> list[Item]:
    """An employee's check: earnings by code, taxes and deductions withheld, the rest paid as net
    pay (so earnings = EE taxes + deductions + net pay, as on every register). ``sign=-1`` is a
    void of it."""
    gross = sum((Decimal(v) for v in earnings.values()), Decimal(0))
    net = gross - Decimal(ee_tax) - Decimal(deduction)
    lines = [("EARNING", code, Decimal(amount)) for code, amount in earnings.items()]
    lines += [
        ("EE_TAX", "FIT", Decimal(ee_tax)),
        ("EE_DEDUCTION", "401K", Decimal(deduction)),
        ("ER_TAX", "FICA-SS", Decimal(er_tax)),
        ("ER_BENEFIT", "MEDICAL", Decimal(er_benefit)),
        ("NET_PAY", "DD", net),
    ]
    return [
        Item(employee, cls, code, sign * amount, department, location)
        for cls, code, amount in lines
        if amount
    ]


@dataclasses.dataclass
class PayrollWorld:
    """A warehouse (ensure_schema, the shipped mappings) holding canonical pay runs."""

    warehouse: WarehouseResource
    mappings: Path = MAPPINGS
    loaded: Path | None = MAPPINGS
    """The mappings the warehouse's ref.* tables hold (the template loaded the shipped ones)."""

    def load_mappings(self, conn: duckdb.DuckDBPyConnection) -> None:
        if self.loaded != self.mappings:
            load_mappings(conn, self.mappings)
            self.loaded = self.mappings

    def add_run(
        self,
        items: list[Item],
        *,
        pay_group: str = "WEEKLY",
        run_id: str = "20261118-20261120",
        check_date: date = CHECK_DATE,
        register: dict[str, Decimal] | None = None,
        client: str = "HLPR0001",
        legal_entity: str | None = "usrt",
    ) -> str:
        """Replace the run (as a corrected file does) by these items; the register's own totals
        are the items' unless ``register`` says otherwise."""
        run_key = f"{client}|{pay_group}|{run_id}"
        totals = {column: Decimal(0) for column in TOTAL_COLUMNS.values()}
        for item in items:
            totals[TOTAL_COLUMNS[item.item_class]] += item.amount
        printed = {**totals, **(register or {})}
        with self.warehouse.writer() as conn, transaction(conn):
            conn.execute(
                "DELETE FROM canonical.payroll_allocations WHERE run_key = ?", [run_key]
            ).fetchall()
            conn.execute(
                "DELETE FROM canonical.payroll_runs WHERE run_key = ?", [run_key]
            ).fetchall()
            conn.execute(
                "INSERT INTO canonical.payroll_runs (business_date, run_key, client_id, pay_group, "
                "payroll_run_id, legal_entity, currency, period_begin, period_end, check_date, "
                "file_sha256, file_name, file_received_at, files_received, employees, item_rows, "
                "void_rows, gross_amount, ee_tax_amount, er_tax_amount, ee_deduction_amount, "
                "er_benefit_amount, net_pay_amount, register_gross, register_ee_tax, "
                "register_er_tax, register_ee_deduction, register_er_benefit, register_net_pay, "
                "mapping_issue) VALUES (?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?, 'sha', 'register.csv', "
                "now(), 1, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [check_date, run_key, client, pay_group, run_id, legal_entity,
                 check_date - timedelta(days=13), check_date - timedelta(days=6), check_date,
                 len({i.employee for i in items}), len(items),
                 *totals.values(), *printed.values(),
                 None if legal_entity else f"client {client} not in mappings/payroll_clients.csv"],
            ).fetchall()  # fmt: skip
            rows = [
                (check_date, run_key, legal_entity, "USD", f"HP_{n:016x}_{n}", item.employee,
                 item.item_class, item.item_code, department, location,
                 "CORP" if location == "HQ" else "STORES",
                 "allocation_file" if item.parts else "register_department",
                 amount / item.amount if item.amount else Decimal(1), amount)
                for n, item in enumerate(items, start=1)
                for department, location, amount in item.allocations()
            ]  # fmt: skip
            if rows:
                conn.executemany(
                    "INSERT INTO canonical.payroll_allocations VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        return run_key

    def build(self, day: date = CHECK_DATE) -> None:
        with self.warehouse.writer() as conn, transaction(conn):
            self.load_mappings(conn)
            build_payroll_journals(conn, day, day)

    def validate_against(self, api: D365Api) -> None:
        """What the D365 pull and mappings_exist_in_d365 do: D365's chart and dimension values
        into raw.d365_*, the mapping compared with them (the same SQL)."""
        accounts = api.read_all("MainAccounts")
        values = api.read_all("FinancialDimensionValues")
        with self.warehouse.writer() as conn, transaction(conn):
            conn.execute("DELETE FROM raw.d365_main_accounts").fetchall()
            conn.execute("DELETE FROM raw.d365_dimension_values").fetchall()
            conn.executemany(
                "INSERT INTO raw.d365_main_accounts VALUES (?, ?, ?, ?, now())",
                [(a["ChartOfAccounts"], a["MainAccountId"], a["Name"], a["MainAccountType"])
                 for a in accounts],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO raw.d365_dimension_values VALUES (?, ?, ?, ?, now())",
                [(v["FinancialDimension"], v["LegalEntityId"] or "", v["DimensionValue"],
                  v["Description"]) for v in values],
            )  # fmt: skip
            self.load_mappings(conn)
            run_script(
                conn,
                sql_file("ops/record_d365_mapping_validation.sql"),
                {"chart": CHART_OF_ACCOUNTS, "mappings_sha256": "test"},
            )

    def query(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        """Through the warehouse's own connection (what the build committed): attaching the file
        to its running DuckDB costs under half a fresh read-only connect, and the property test
        alone queries sixty times."""
        with self.warehouse.writer() as conn:
            return conn.execute(sql, params or []).fetchall()

    def journal(self, run_key: str) -> dict[str, Decimal]:
        """The run's journal: account display value (or the unmapped reason) → amount."""
        return dict(
            self.query(
                "SELECT coalesce(account_display_value, mapping_issue), amount "
                "FROM gl.payroll_journal_lines WHERE run_key = ?",
                [run_key],
            )
        )

    def status(self, run_key: str) -> tuple:
        [row] = self.query(
            "SELECT balanced, checks_passed, failed_checks, hold_reasons FROM gl.payroll_journals "
            "WHERE run_key = ?",
            [run_key],
        )
        return row


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with every table (ensure_schema) and the shipped mappings loaded, built once:
    each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    warehouse = WarehouseResource(database=str(path), read_copy=str(path.with_name("read.duckdb")))
    with warehouse.writer() as conn, transaction(conn):
        load_mappings(conn, MAPPINGS)
    return path


def world_from(template: Path, directory: Path) -> PayrollWorld:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, directory / "warehouse.duckdb")
    return PayrollWorld(
        WarehouseResource(
            database=str(directory / "warehouse.duckdb"), read_copy=str(directory / "read.duckdb")
        )
    )


@pytest.fixture
def world(template: Path, tmp_path: Path) -> PayrollWorld:
    return world_from(template, tmp_path / "data")


@pytest.fixture(scope="module")
def d365(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[D365Simulator, str]]:
    """The D365 simulator (its seed: the chart with the payroll accounts, departments SALES,
    STOCK, MGMT, ADMIN but no VISMERCH, the PayrollJrn journal name) on loopback."""
    sim = D365Simulator(tmp_path_factory.mktemp("d365") / "d365.sqlite")
    with serve(sim) as server:
        yield sim, server.base_url
    sim.close()


@pytest.fixture
def api(d365: tuple[D365Simulator, str]) -> Iterator[D365Api]:
    sim, base_url = d365
    sim.reset()
    client = D365Client(
        environment_url=base_url,
        identity_url_override=base_url,
        tenant_id=SANDBOX_TENANT_ID,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )
    with client.open(sleep=lambda seconds: None) as opened:
        yield opened


A_STORE_AND_HEAD_OFFICE = [
    *paycheck("E10001", {"01": "800.00", "02": "120.00"}, ee_tax="150.25", deduction="40.00",
              er_tax="70.38", er_benefit="55.00", department="100", location="S001"),
    *paycheck("E10002", {"61": "300.00", "TIPS": "95.50"}, ee_tax="48.10",
              er_tax="30.24", department="200", location="S002"),
    *paycheck("E10003", {"SAL": "2500.00"}, ee_tax="610.00", deduction="125.00",
              er_tax="191.25", er_benefit="300.00", department="900", location="HQ"),
]  # fmt: skip


# -- the journal ------------------------------------------------------------------------------


def test_a_pay_run_is_one_balanced_journal_with_expense_by_store_and_department(world) -> None:
    run = world.add_run(A_STORE_AND_HEAD_OFFICE)
    world.build()

    assert world.journal(run) == {
        "610100-001-SALES": Decimal("800.00"),
        "610200-001-SALES": Decimal("120.00"),
        "610400-001-SALES": Decimal("70.38"),
        "610500-001-SALES": Decimal("55.00"),
        "610100-002-STOCK": Decimal("300.00"),
        "610300-002-STOCK": Decimal("95.50"),
        "610400-002-STOCK": Decimal("30.24"),
        "610100-000-ADMIN": Decimal("2500.00"),
        "610400-000-ADMIN": Decimal("191.25"),
        "610500-000-ADMIN": Decimal("300.00"),
        "231100": Decimal("-808.35"),
        "231200": Decimal("-291.87"),
        "231300": Decimal("-165.00"),
        "231400": Decimal("-355.00"),
        "231500": Decimal("-2842.15"),
    }
    [(key, debits, credits, balanced)] = world.query(
        "SELECT journal_key, debit_total, credit_total, balanced FROM gl.payroll_journals"
    )
    assert balanced and debits == credits == Decimal("4462.37")
    assert JournalKey.parse(key) == JournalKey("usrt", CHECK_DATE, "USD", key[-9:])
    texts = world.query("SELECT DISTINCT business_date, text[:33] FROM gl.payroll_journal_lines")
    assert texts == [(CHECK_DATE, "Payroll WEEKLY 20261118-20261120 ")]


def test_every_line_sums_its_allocated_items_and_split_items_land_in_each_department(
    world,
) -> None:
    split = Item(
        "E10004", "EARNING", "01", Decimal("1000.01"),
        parts=(("100", "S003", Decimal("600.01")), ("300", "S003", Decimal("400.00"))),
    )  # fmt: skip
    run = world.add_run([split, Item("E10004", "NET_PAY", "DD", Decimal("1000.01"))])
    world.build()

    assert world.journal(run) == {
        "610100-003-SALES": Decimal("600.01"),
        "610100-003-MGMT": Decimal("400.00"),
        "231500": Decimal("-1000.01"),
    }
    assert world.query(
        "SELECT count(*) FROM gl.payroll_journal_lines AS l JOIN (SELECT line_key, sum(amount) "
        "AS amount, count(*) AS n FROM gl.payroll_journal_line_sources GROUP BY 1) AS s "
        "USING (line_key) WHERE s.amount <> l.amount OR s.n <> l.source_count"
    ) == [(0,)]
    assert world.query(
        "SELECT event_id, department_code, amount FROM gl.payroll_journal_line_sources "
        "WHERE item_class = 'EARNING' ORDER BY department_code"
    ) == [
        ("HP_0000000000000001_1", "100", Decimal("600.01")),
        ("HP_0000000000000001_1", "300", Decimal("400.00")),
    ]


def test_the_newest_rule_valid_on_the_check_date_wins_and_an_exact_code_before_the_star(
    world, tmp_path
) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, mappings)
    with (mappings / "gl_payroll_posting_rules.csv").open("a") as rules:
        rules.write("EE_TAX,FIT,credit,231300,none,Withholding moved from December,2026-12-01\n")
        rules.write("EE_TAX,SIT,credit,231300,none,State tax kept apart,2020-01-01\n")
    world.mappings = mappings
    items = [
        Item("E1", "EARNING", "01", Decimal("100.00")),
        Item("E1", "EE_TAX", "FIT", Decimal("10.00")),
        Item("E1", "EE_TAX", "SIT", Decimal("5.00")),
        Item("E1", "NET_PAY", "DD", Decimal("85.00")),
    ]
    run = world.add_run(items)
    world.build()
    assert world.journal(run)["231100"] == Decimal("-10.00")  # FIT: December's rule not yet
    assert world.journal(run)["231300"] == Decimal("-5.00")  # SIT: its own rule before *


def test_an_unmapped_earning_code_keeps_the_journal_balanced_and_holds_it_naming_the_code(
    world,
) -> None:
    run = world.add_run(paycheck("E10005", {"01": "400.00", "77": "25.00"}, ee_tax="60.00"))
    world.build()

    balanced, passed, failed, reasons = world.status(run)
    assert balanced and not passed
    assert "items_mapped" in failed
    assert "no rule in mappings/gl_payroll_posting_rules.csv for EARNING 77 (debit)" in reasons
    assert world.journal(run)[
        "no rule in mappings/gl_payroll_posting_rules.csv for EARNING 77 (debit) valid on "
        f"{CHECK_DATE}"
    ] == Decimal("25.00")


def test_a_register_whose_totals_do_not_add_up_holds_the_journal(world) -> None:
    run = world.add_run(
        paycheck("E10006", {"01": "500.00"}, ee_tax="75.00"),
        register={"gross": Decimal("505.00")},
    )
    world.build()
    balanced, passed, failed, reasons = world.status(run)
    assert balanced and not passed and failed == "accounts_in_d365, agrees_with_register"
    assert "gross: journal 500.00, items 500.00, register 505.00" in reasons


def test_a_department_without_a_mapping_and_an_unknown_client_are_named(world) -> None:
    run = world.add_run(
        paycheck("E10007", {"01": "100.00"}, department="555", location="S001"),
        client="HLPR0009",
        legal_entity=None,
    )
    world.build()
    [(key, reasons)] = world.query("SELECT journal_key, hold_reasons FROM gl.payroll_journals")
    assert key.startswith("(unknown)-") and run
    assert "department 555 has no row in mappings/payroll_departments.csv" in reasons
    assert "client HLPR0009 not in mappings/payroll_clients.csv" in reasons


def test_voids_reverse_a_check_in_the_journal(world) -> None:
    check = paycheck("E10008", {"01": "300.00"}, ee_tax="30.00")
    run = world.add_run(
        [*check, *paycheck("E10009", {"01": "200.00"}), *[
            dataclasses.replace(i, amount=-i.amount) for i in check
        ]]
    )  # fmt: skip
    world.build()
    assert world.journal(run) == {
        "610100-001-SALES": Decimal("200.00"),
        "231100": Decimal("0.00"),
        "231500": Decimal("-200.00"),
    }


# -- the property the issue measures ------------------------------------------------------------

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
DEPARTMENTS = st.sampled_from([("100", "S001"), ("200", "S002"), ("300", "S003"), ("900", "HQ")])


@st.composite
def pay_runs(draw) -> list[Item]:
    """Employees with any earnings codes, withholding, employer taxes and benefits, some voided,
    some items split across departments: every check balanced as a register's are."""
    items: list[Item] = []
    for number in range(draw(st.integers(1, 6))):
        codes = draw(st.lists(st.sampled_from(["01", "02", "61", "62", "TIPS", "SAL"]),
                              min_size=1, max_size=3, unique=True))  # fmt: skip
        earnings = {code: draw(money) for code in codes}
        gross = sum(earnings.values(), Decimal(0))
        ee_tax = draw(
            st.decimals(min_value=0, max_value=(gross / 2).quantize(CENT, ROUND_DOWN), places=2)
        )
        deduction = draw(
            st.decimals(min_value=0, max_value=(gross / 4).quantize(CENT, ROUND_DOWN), places=2)
        )
        department, location = draw(DEPARTMENTS)
        check = paycheck(
            f"E{number}", {c: str(a) for c, a in earnings.items()}, ee_tax=str(ee_tax),
            deduction=str(deduction), er_tax=str(draw(money)), er_benefit=str(draw(money)),
            department=department, location=location,
            sign=-1 if draw(st.booleans()) and number else 1,
        )  # fmt: skip
        for item in check:
            if draw(st.booleans()):
                cents = int(item.amount * 100)
                first = draw(st.integers(min_value=min(cents, 0), max_value=max(cents, 0)))
                (d1, l1), (d2, l2) = draw(DEPARTMENTS), draw(DEPARTMENTS)
                item = dataclasses.replace(item, parts=(
                    (d1, l1, Decimal(first) / 100), (d2, l2, item.amount - Decimal(first) / 100)
                ))  # fmt: skip
            items.append(item)
    return items


@pytest.fixture(scope="module")
def property_world(template: Path, tmp_path_factory: pytest.TempPathFactory) -> PayrollWorld:
    return world_from(template, tmp_path_factory.mktemp("property"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=pay_runs())
def test_any_mix_of_items_and_splits_gives_a_balanced_journal_whose_totals_are_the_registers(
    property_world, items
) -> None:
    world = property_world
    run = world.add_run(items)
    world.build()

    expected = {cls: sum((i.amount for i in items if i.item_class == cls), Decimal(0))
                for cls in CLASSES}  # fmt: skip
    [(debits, credits, balanced)] = world.query(
        "SELECT sum(greatest(amount, 0)), sum(greatest(-amount, 0)), sum(amount) = 0 "
        "FROM gl.payroll_journal_lines WHERE run_key = ?",
        [run],
    )
    assert balanced
    booked = dict(
        world.query(
            # Debit-side classes by their debits, credit-only ones by their credits.
            "SELECT item_class, coalesce(sum(amount) FILTER (WHERE side = 'debit'), -sum(amount)) "
            "FROM gl.payroll_journal_line_sources WHERE run_key = ? GROUP BY 1",
            [run],
        )
    )
    assert {cls: booked.get(cls) or Decimal(0) for cls in CLASSES} == {
        cls: amount for cls, amount in expected.items()
    }
    # Expense is debited, liabilities credited: with no void, Σ debits = Σ EARNING + Σ ER_TAX
    # + Σ ER_BENEFIT (a void nets the lines it reverses).
    if all(i.amount > 0 for i in items) and all(all(p[2] >= 0 for p in i.parts) for i in items):
        assert (
            debits == credits == expected["EARNING"] + expected["ER_TAX"] + expected["ER_BENEFIT"]
        )
    [(failed,)] = world.query(
        "SELECT failed_checks FROM gl.payroll_journals WHERE run_key = ?", [run]
    )
    assert "agrees_with_register" not in (failed or "") and "balanced" not in (failed or "")


# -- does D365 hold it? -------------------------------------------------------------------------


def test_the_mapping_validation_catches_the_department_d365_lacks_for_payroll_only(
    world, api
) -> None:
    world.validate_against(api)

    assert world.query(
        "SELECT kind, dimension, value, referenced_by FROM ops.d365_mapping_validation "
        "WHERE NOT exists_in_d365"
    ) == [
        ("dimension_value", "Department", "VISMERCH",
         "gl_dimension_values.csv, payroll_departments.csv")
    ]  # fmt: skip
    payroll_accounts = world.query(
        "SELECT value FROM ops.d365_mapping_validation "
        "WHERE referenced_by LIKE '%gl_payroll_posting_rules.csv%' AND exists_in_d365 ORDER BY 1"
    )
    assert [a for (a,) in payroll_accounts] == [
        "231100", "231200", "231300", "231400", "231500",
        "610100", "610200", "610300", "610400", "610500",
    ]  # fmt: skip
    # Only payroll uses VISMERCH: the day's sales journals are not held for it.
    assert world.query(sql_file("ops/list_mappings_missing_in_d365.sql")) == []


def test_a_department_d365_lacks_holds_only_the_journal_that_posts_to_it(world, api) -> None:
    clean = world.add_run(paycheck("E1", {"01": "100.00"}), pay_group="SEMIMONTHLY",
                          run_id="20261113-20261120")  # fmt: skip
    vismerch = world.add_run(paycheck("E2", {"01": "100.00"}, department="400"))
    world.validate_against(api)
    world.build()
    assert world.status(clean)[1] is True
    _, passed, failed, reasons = world.status(vismerch)
    assert not passed and failed == "accounts_in_d365"
    assert "not in D365 (mappings_exist_in_d365): Department=VISMERCH" in reasons


# -- posting ------------------------------------------------------------------------------------


def signed(line: dict) -> Decimal:
    return Decimal(str(line["DebitAmount"])) - Decimal(str(line["CreditAmount"]))


def posted_payroll(sim: D365Simulator) -> list[dict]:
    return [j for j in sim.journals("usrt") if j["JournalName"] == "PayrollJrn"]


def test_a_pay_run_posts_once_as_a_payroll_journal_and_a_rerun_posts_nothing(
    world, api, d365
) -> None:
    sim, _ = d365
    run = world.add_run(A_STORE_AND_HEAD_OFFICE)
    world.validate_against(api)
    world.build()

    report = post_day(world.warehouse.writer, api, CHECK_DATE)

    [posted] = report.posted
    assert posted["kind"] == "payroll" and posted["lines"] == 15
    [journal] = posted_payroll(sim)
    key = IdempotencyKey.parse(journal["Description"])
    assert len(journal["Description"]) <= 60
    assert str(key.journal) == posted["journal_key"] and key.tag.startswith("P")
    assert key.sequence == 0
    assert sim.validate_journal("usrt", journal["JournalBatchNumber"]) == []
    lines = {line["AccountDisplayValue"]: signed(line) for line in journal["lines"]}
    assert lines == world.journal(run)
    assert {line["TransDate"][:10] for line in journal["lines"]} == {str(CHECK_DATE)}
    assert all("20261118-20261120" in line["Text"] for line in journal["lines"])

    again = post_day(world.warehouse.writer, api, CHECK_DATE)
    assert (again.posted, again.already_in_d365, again.blocked) == ([], [], [])
    assert len(posted_payroll(sim)) == 1

    outcome = read_back_day(world.warehouse.writer, api, CHECK_DATE)
    assert outcome["matched"] == 15 and outcome["journals_read"] == 1
    assert set(outcome) & {"difference", "missing_in_d365", "not_in_journal"} == set()


def test_a_corrected_run_after_posting_posts_the_difference_as_an_adjustment(
    world, api, d365
) -> None:
    sim, _ = d365
    world.add_run(A_STORE_AND_HEAD_OFFICE)
    world.validate_against(api)
    world.build()
    post_day(world.warehouse.writer, api, CHECK_DATE)

    # The corrected file: E10002's tips were 100.50, not 95.50; net pay follows.
    corrected = [
        dataclasses.replace(i, amount=i.amount + 5)
        if i.employee == "E10002" and i.item_code in ("TIPS", "DD") else i
        for i in A_STORE_AND_HEAD_OFFICE
    ]  # fmt: skip
    run = world.add_run(corrected)
    world.build()
    report = post_day(world.warehouse.writer, api, CHECK_DATE)

    [adjustment] = report.posted
    assert adjustment["kind"] == "payroll_adjustment"
    journals = sorted(posted_payroll(sim), key=lambda j: j["JournalBatchNumber"])
    assert [IdempotencyKey.parse(j["Description"]).sequence for j in journals] == [0, 1]
    assert {line["AccountDisplayValue"]: signed(line) for line in journals[1]["lines"]} == {
        "610300-002-STOCK": Decimal("5.00"),
        "231500": Decimal("-5.00"),
    }
    assert sim.validate_journal("usrt", journals[1]["JournalBatchNumber"]) == []
    outcome = read_back_day(world.warehouse.writer, api, CHECK_DATE)
    assert set(outcome) & {"difference", "missing_in_d365", "not_in_journal"} == set()
    assert world.journal(run)["610300-002-STOCK"] == Decimal("100.50")


@pytest.mark.parametrize(
    ("defect", "check", "reason"),
    [
        ("department", "accounts_in_d365", "Department=VISMERCH"),
        ("earning_code", "items_mapped", "EARNING 77"),
        ("register_totals", "agrees_with_register", "net_pay: journal 840.00"),
    ],
)
def test_a_defective_run_is_held_with_its_reason_and_the_days_other_run_still_posts(
    world, api, d365, defect, check, reason
) -> None:
    sim, _ = d365
    good = world.add_run(paycheck("E1", {"01": "100.00"}), pay_group="SEMIMONTHLY",
                         run_id="20261113-20261120")  # fmt: skip
    bad = {
        "department": lambda: world.add_run(paycheck("E2", {"01": "900.00"}, ee_tax="60.00",
                                                     department="400")),
        "earning_code": lambda: world.add_run(paycheck("E2", {"01": "900.00", "77": "15.00"})),
        "register_totals": lambda: world.add_run(
            paycheck("E2", {"01": "900.00"}, ee_tax="60.00"),
            register={"net_pay": Decimal("850.00")}),
    }[defect]()  # fmt: skip
    world.validate_against(api)
    world.build()

    report = post_day(world.warehouse.writer, api, CHECK_DATE)

    [posted] = report.posted
    [held] = report.blocked
    assert posted["journal_key"].endswith(
        world.query("SELECT journal_key[-9:] FROM gl.payroll_journals WHERE run_key = ?", [good])[
            0
        ][0]
    )
    assert check in held["failed_checks"] and reason in held["reasons"]
    assert len(posted_payroll(sim)) == 1
    [(status, detail)] = world.query(
        "SELECT status, detail FROM gl.postings WHERE journal_key IN "
        "(SELECT journal_key FROM gl.payroll_journals WHERE run_key = ?)",
        [bad],
    )
    assert status == "blocked" and "gl.payroll_journals" in detail


# -- funding ------------------------------------------------------------------------------------


def fund(world: PayrollWorld, lines: list[tuple[date, str, str]]) -> dict[str, int]:
    """Bank statement lines (booking date, amount, reference) as the file drop lands them, then
    the funding reconciliation of the check date."""
    with world.warehouse.writer() as conn, transaction(conn):
        conn.execute("DELETE FROM raw.bank_statement_lines").fetchall()
        conn.executemany(
            "INSERT INTO raw.bank_statement_lines VALUES (?, 'seg', ?, ?, 'bank.statement_line', "
            "now(), 'sha', 'statement.csv', ?, '6789', ?, ?, 'USD', ?, ?, 'ACH DEBIT')",
            [(day, n, f"BS_{n:016x}_{n}", n, day, day, Decimal(amount), reference)
             for n, (day, amount, reference) in enumerate(lines, start=1)],
        ) if lines else None  # fmt: skip
        world.load_mappings(conn)
        return reconcile_payroll_funding(conn, CHECK_DATE, CHECK_DATE, "test-run")


def test_funding_matched_by_reference_clears_the_net_pay_clearing_account(world) -> None:
    run = world.add_run(A_STORE_AND_HEAD_OFFICE)
    world.build()
    outcome = fund(world, [
        (CHECK_DATE - timedelta(days=2), "-2842.15", "PAYROLL 20261118-20261120 NET"),
        (CHECK_DATE - timedelta(days=1), "-1100.22", "payroll 20261118-20261120 tax"),
    ])  # fmt: skip

    assert outcome == {"net_pay matched": 1, "taxes matched": 1}
    assert world.query(
        "SELECT clearing_account, net_pay_credited, net_pay_funded, clearing_balance, status "
        "FROM recon.payroll_clearing WHERE run_key = ?",
        [run],
    ) == [("231500", Decimal("2842.15"), Decimal("2842.15"), Decimal("0.00"), "cleared")]
    assert world.query("SELECT count(*) FROM recon.exceptions") == [(0,)]


def test_missing_and_different_funding_are_exceptions_that_clear_when_the_money_is_found(
    world,
) -> None:
    run = world.add_run(A_STORE_AND_HEAD_OFFICE)
    world.build()
    fund(world, [(CHECK_DATE - timedelta(days=1), "-2840.00", "PAYROLL 20261118-20261120 NET")])

    exceptions = dict(
        world.query(
            "SELECT kind, detail FROM recon.exceptions WHERE still_detected AND status = 'open'"
        )
    )
    assert set(exceptions) == {"payroll_funding_difference", "payroll_funding_missing"}
    assert "short by 2.15" in exceptions["payroll_funding_difference"]
    assert "PAYROLL 20261118-20261120 TAX" in exceptions["payroll_funding_missing"]
    assert world.query(
        "SELECT clearing_balance, status FROM recon.payroll_clearing WHERE run_key = ?", [run]
    ) == [(Decimal("2.15"), "open")]

    # The right statement arrives: the net pay by reference, the taxes by amount near the day.
    fund(world, [
        (CHECK_DATE - timedelta(days=1), "-2842.15", "PAYROLL 20261118-20261120 NET"),
        (CHECK_DATE + timedelta(days=1), "-1100.22", "EFTPS 2611"),
        (CHECK_DATE + timedelta(days=20), "-1100.22", "EFTPS LATER"),
    ])  # fmt: skip
    assert world.query(
        "SELECT component, match_method, bank_event_ids FROM recon.payroll_funding ORDER BY 1"
    ) == [("net_pay", "reference", "BS_0000000000000001_1"),
          ("taxes", "amount", "BS_0000000000000002_2")]  # fmt: skip
    assert world.query("SELECT kind, status FROM recon.exceptions ORDER BY kind") == [
        ("payroll_funding_difference", "cleared"),
        ("payroll_funding_missing", "cleared"),
    ]


def test_finance_can_enter_the_funding_where_no_statement_is_dropped(world, tmp_path) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, mappings)
    with (mappings / "payroll_funding.csv").open("a") as entries:
        entries.write("HLPR0001,WEEKLY,20261118-20261120,net_pay,2842.15,2026-11-19,bank portal\n")
        entries.write("HLPR0001,WEEKLY,20261118-20261120,taxes,1100.22,2026-11-19,bank portal\n")
    world.mappings = mappings
    world.add_run(A_STORE_AND_HEAD_OFFICE)
    world.build()
    assert fund(world, []) == {"net_pay matched": 1, "taxes matched": 1}
    assert world.query("SELECT DISTINCT funding_source FROM recon.payroll_funding") == [
        ("finance_entry",)
    ]


def test_the_journal_name_is_configuration_and_one_d365_refuses_is_a_dead_letter(
    world, api, d365
) -> None:
    assert load_settings({}).payroll_journal_name == "PayrollJrn"
    configured = load_settings({"HL_D365_PAYROLL_JOURNAL_NAME": "PayJrnl"}).payroll_journal_name
    sim, _ = d365
    world.add_run(paycheck("E1", {"01": "100.00"}))
    world.validate_against(api)
    world.build()

    report = post_day(world.warehouse.writer, api, CHECK_DATE, configured)

    [rejected] = report.dead_lettered
    assert "PayJrnl" in rejected["error"]
    assert posted_payroll(sim) == [] and sim.journals("usrt") == []
    [(reason, detail)] = world.query(
        "SELECT reason_code, reason_detail FROM ops.quarantine WHERE source = 'd365'"
    )
    assert reason == "d365_rejected" and rejected["journal_key"] in detail


def day_journal(world: PayrollWorld, passed: bool) -> str:
    """The day's sales journal as the general ledger builds it (cash sale at S001), its blocking
    checks passed or failed."""
    key = f"usrt-{CHECK_DATE}-USD"
    with world.warehouse.writer() as conn, transaction(conn):
        conn.executemany(
            "INSERT INTO gl.journal_lines VALUES (?, ?, 'usrt', 'USD', 'USD', 1, ?, ?, 'posting', "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL)",
            [(CHECK_DATE, key, f"JL_{n}", n, account, shown, dims, kind, f"{kind} {CHECK_DATE}",
              amount, max(amount, 0), max(-amount, 0), amount, max(amount, 0), max(-amount, 0))
             for n, (account, shown, dims, kind, amount) in enumerate([
                 ("110100", "110100", "", "tender", Decimal("10.00")),
                 ("401100", "401100-001-RETAIL", "BusinessUnit=001, Department=RETAIL", "revenue",
                  Decimal("-10.00")),
             ], start=1)],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO gl.journal_checks VALUES (?, ?, 'agrees_with_settlement', ?, ?, now())",
            [CHECK_DATE, key, passed, "S001: card receipts 0, settled 25.00"],
        ).fetchall()
    return key


@pytest.mark.parametrize("held", ["pay run", "sales journal"])
def test_a_held_pay_run_and_the_days_sales_journal_never_hold_each_other(
    world, api, d365, held
) -> None:
    sim, _ = d365
    world.add_run(
        paycheck("E2", {"01": "100.00"}, department="400" if held == "pay run" else "100")
    )
    sales = day_journal(world, passed=held == "pay run")
    world.validate_against(api)
    world.build()

    report = post_day(world.warehouse.writer, api, CHECK_DATE)

    [posted] = report.posted
    [blocked] = report.blocked
    if held == "pay run":
        assert posted["journal_key"] == sales and blocked["journal_key"].startswith(f"{sales}-P")
        assert [j["JournalName"] for j in sim.journals("usrt")] == ["GenJrn"]
    else:
        assert posted["kind"] == "payroll" and blocked["journal_key"] == sales
        assert [j["JournalName"] for j in sim.journals("usrt")] == ["PayrollJrn"]


def test_the_payroll_ledger_asset_and_its_checks_say_which_run_is_held_and_why(world) -> None:
    from hl_d365_assets.defs.gl.assets import payroll_ledger
    from hl_d365_assets.defs.gl.checks import payroll_journal_checks

    world.add_run(paycheck("E1", {"01": "100.00", "77": "5.00"}))
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [payroll_ledger, payroll_journal_checks],
            partition_key=str(CHECK_DATE),
            instance=instance,
            resources={
                "warehouse": world.warehouse,
                "mappings": MappingsResource(directory=str(MAPPINGS)),
            },
            raise_on_error=False,
        )

    [lines] = [
        m for m in result.asset_materializations_for_node("payroll_ledger")
        if m.asset_key == dg.AssetKey(["gl", "payroll_journal_lines"])
    ]  # fmt: skip
    assert "held: " in lines.metadata["journals"].value
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["balanced"].passed and evaluations["agrees_with_register"].passed
    held = evaluations["items_mapped"]
    assert not held.passed and held.blocking
    [key] = held.metadata["journals_held"].value
    assert key.startswith(f"usrt-{CHECK_DATE}-USD-P")
    assert "EARNING 77 (debit)" in held.metadata["detail"].value
