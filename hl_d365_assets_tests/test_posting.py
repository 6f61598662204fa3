"""Posting the day's journals into the D365 simulator: exactly once whatever happens (re-runs,
429 storms, 5xx, a token endpoint down, a process killed between header and lines or between
sending and recording), rejections parked with D365's own words while the day's other journals
post, adjustments for late data, and the read-back that compares D365 with what we meant.

The tests taking ``any_world`` run twice: against the simulator, and against an independent
OData service written from the reference facts alone (``odata_fake.py``, on loopback), so the
posting does not only work against the simulator we wrote."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.errors import D365Error, D365QueryNotHonoured
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.ledger.exactly_once import post_day
from hl_d365_assets.ledger.read_back import read_back_day
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ENVIRONMENT_URL,
    SANDBOX_TENANT_ID,
    D365Simulator,
)
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.resources import d365_client
from hl_d365_assets.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from hl_d365_assets.warehouse import WarehouseResource
from hl_d365_assets_tests.conftest import generate_days, make_settings, rematerialise, run_range
from hl_d365_assets_tests.odata_fake import JOURNAL_SETS, IndependentOData
from hl_d365_assets_tests.retail_days import land_late_copy_of_a_cash_ticket

DAY = date(2026, 11, 3)
LATE_TICKETS = dg.AssetSelection.assets(dg.AssetKey(["raw", "retail_tickets"])).downstream()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One clean sandbox day, loaded, reconciled and journalised; every test posts a copy."""
    settings = make_settings(tmp_path_factory.mktemp("posting") / "data")
    generate_days(
        settings,
        [DAY],
        SandboxConfig(seed=41, transactions_per_store_day=60, defect_rates=DefectRates.none()),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_range(settings, instance, [DAY]).success
    return settings


@dataclasses.dataclass
class World:
    settings: Settings
    sim: D365Simulator
    fake: IndependentOData | None = None
    """When set, the D365 posted to is this independent service instead of the simulator."""

    @property
    def warehouse(self) -> WarehouseResource:
        return WarehouseResource(
            database=str(self.settings.warehouse_path), read_copy=str(self.settings.read_copy_path)
        )

    def api(self, **overrides):
        if self.fake is not None:
            client = D365Client(
                environment_url=self.fake.environment_url,
                identity_url_override=self.fake.environment_url,
                tenant_id=self.fake.tenant_id,
                client_id=self.fake.client_id,
                client_secret=self.fake.client_secret,
                **overrides,
            )
            return client.open(sleep=lambda seconds: None)
        client = D365Client(
            environment_url=SANDBOX_ENVIRONMENT_URL,
            tenant_id=SANDBOX_TENANT_ID,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            **overrides,
        )
        return client.open(self.sim.transport(), sleep=lambda seconds: None)

    def post(self, **overrides):
        with self.api(**overrides) as api:
            return post_day(self.warehouse.writer, api, DAY)

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as conn:
            return conn.execute(sql, params or {}).fetchall()

    def journals(self, header_set: str = "LedgerJournalHeaders") -> list[dict]:
        """The journals D365 holds for usrt, each with its ``lines``."""
        return (self.fake or self.sim).journals("usrt", header_set=header_set)

    def journals_by_key(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for journal in self.journals():
            found.setdefault(journal["Description"], []).append(journal)
        return found

    def would_not_post(self, journal: dict) -> list[str]:
        number = journal["JournalBatchNumber"]
        if self.fake is not None:
            return self.fake.unbalanced_vouchers("usrt", number)
        return self.sim.validate_journal("usrt", number)

    def add_to_debit_in_d365(self, journal: dict, line: dict, amount: Decimal) -> None:
        """Someone changes a posted line in D365 itself."""
        key = ("usrt", journal["JournalBatchNumber"], line["LineNumber"])
        changed = {
            **line,
            "DebitAmount": Decimal(line["DebitAmount"]) + amount,
            "CreditAmount": Decimal(line["CreditAmount"]),
        }
        if self.fake is not None:
            self.fake.replace_line("LedgerJournalLines", key, changed)
        else:
            self.sim.store.replace("LedgerJournalLines", key, changed)


@pytest.fixture
def world(loaded: Settings, tmp_path: Path) -> Iterator[World]:
    settings = dataclasses.replace(loaded, data_dir=tmp_path / "data")
    shutil.copytree(loaded.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("*.lock"))
    sim = D365Simulator(tmp_path / "d365.sqlite")
    yield World(settings, sim)
    sim.close()


@pytest.fixture(params=["simulator", "independent"])
def any_world(world: World, request: pytest.FixtureRequest) -> Iterator[World]:
    """The world, its D365 the simulator or the independent OData service (its chart from the
    shipped mapping files, a small server page size so paging is exercised)."""
    if request.param == "simulator":
        yield world
        return
    world.fake = independent_odata()
    world.fake.serve()
    yield world
    world.fake.stop()


def independent_odata(**options) -> IndependentOData:
    mappings = PROJECT_ROOT / "mappings"
    accounts = [
        row.split(",")[0]
        for row in (mappings / "gl_main_accounts.csv").read_text().splitlines()[1:]
    ]
    dimensions = [
        row.split(",")[:2]
        for row in (mappings / "gl_dimension_values.csv").read_text().splitlines()[1:]
    ]
    structure = [
        row.split(",")[1]
        for row in (mappings / "gl_account_structure.csv").read_text().splitlines()[1:]
    ]
    return IndependentOData(
        main_accounts=accounts,
        dimension_values=[
            {value for dimension, value in dimensions if dimension == segment}
            for segment in structure[1:]
        ],
        page_size=3,
        **options,
    )


def expected_journals(world: World) -> dict[str, int]:
    """journal key → lines to post (non-zero lines; rounding is added by the poster)."""
    return dict(
        world.query(
            "SELECT journal_key, count(*) FILTER (WHERE line_type = 'posting' AND amount <> 0) "
            "FROM gl.journal_lines GROUP BY 1"
        )
    )


def test_a_day_posts_each_journal_once_balanced_and_a_second_run_posts_nothing(any_world) -> None:
    world = any_world
    report = world.post()

    expected = expected_journals(world)
    assert sorted(p["journal_key"] for p in report.posted) == sorted(expected)
    in_d365 = world.journals_by_key()
    assert all(len(journals) == 1 for journals in in_d365.values())
    for journal in (j for journals in in_d365.values() for j in journals):
        assert world.would_not_post(journal) == []
    posted_lines = {p["journal_key"]: p["lines"] for p in report.posted}
    assert posted_lines == expected

    again = world.post()

    assert (again.posted, again.already_in_d365, again.dead_lettered) == ([], [], [])
    assert world.journals_by_key().keys() == in_d365.keys()
    assert world.query("SELECT status, count(*) FROM gl.postings GROUP BY 1") == [("posted", 2)]


def test_the_read_back_matches_line_by_line_and_flags_a_line_changed_in_d365(any_world) -> None:
    world = any_world
    world.post()
    with world.api() as api:
        outcome = read_back_day(world.warehouse.writer, api, DAY)
    assert (
        outcome.get("matched", 0) > 0 and set(outcome) & {"difference", "missing_in_d365"} == set()
    )

    [journal] = [j for j in world.journals() if " USD " in j["Description"]]
    line = journal["lines"][0]
    world.add_to_debit_in_d365(journal, line, Decimal(1))
    with world.api() as api:
        outcome = read_back_day(world.warehouse.writer, api, DAY)

    assert outcome["difference"] == 1
    [(kind, detail)] = world.query(
        "SELECT kind, detail FROM recon.exceptions WHERE kind LIKE 'gl_vs_d365%' AND still_detected"
    )
    assert kind == "gl_vs_d365_difference"
    assert line["AccountDisplayValue"] in detail


def test_throttling_server_errors_and_a_token_endpoint_down_never_duplicate(world) -> None:
    world.sim.faults.throttle(times=6, retry_after=1)
    world.sim.faults.fail(times=3, status=503)
    report = world.post(max_attempts=10)
    assert len(report.posted) == 2

    world.sim.reset()  # a D365 that holds nothing yet, and a warehouse that has posted nothing
    with world.warehouse.writer() as conn:
        conn.execute("DELETE FROM gl.posted_lines").fetchall()
    world.sim.faults.token_endpoint_down(times=None)
    with pytest.raises(D365Error, match=r"Entra ID"):
        world.post(max_attempts=2)
    assert world.journals_by_key() == {}
    assert ("failed",) in world.query("SELECT DISTINCT status FROM gl.postings")

    world.sim.faults.clear()
    report = world.post()
    assert len(report.posted) == 2
    assert all(len(j) == 1 for j in world.journals_by_key().values())


@pytest.fixture(scope="module")
def unknown_business_unit(loaded: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Finance gave the Toronto store a business unit D365 does not know yet. A store dimension
    is read only by the journals: the journals are what is re-materialised (as "materialize
    selected" of group gl), their blocking checks with them, on a copy of the loaded day. Its
    state depends on nothing D365 holds, so both worlds of the test start from a copy of it."""
    root = tmp_path_factory.mktemp("posting_unknown_bu")
    mappings = _edited_mappings(root, store="S004", business_unit="104")
    settings = dataclasses.replace(loaded, data_dir=root / "data", mappings_dir=mappings)
    shutil.copytree(loaded.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("*.lock"))
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(settings, instance, [DAY], dg.AssetSelection.groups("gl")).success
    return settings


def test_a_line_d365_rejects_is_parked_with_its_reason_and_the_other_journal_posts(
    any_world, unknown_business_unit, tmp_path
) -> None:
    world = any_world
    settings = dataclasses.replace(unknown_business_unit, data_dir=tmp_path / "unknown_bu")
    shutil.copytree(
        unknown_business_unit.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("*.lock")
    )
    world.settings = settings

    report = world.post()

    assert [p["journal_key"] for p in report.posted] == [f"usrt-{DAY}-USD"]
    [rejected] = report.dead_lettered
    assert rejected["journal_key"] == f"usrt-{DAY}-CAD"
    assert "104" in rejected["error"]
    [(reason, detail, body)] = world.query(
        "SELECT reason_code, reason_detail, masked_payload FROM ops.quarantine WHERE source = 'd365'"
    )
    assert reason == "d365_rejected" and f"usrt-{DAY}-CAD" in detail
    assert json.loads(body)["error"]["innererror"]["message"].startswith("Write failed")
    assert world.query("SELECT kind FROM ops.alerts WHERE kind = 'd365_rejected'") == [
        ("d365_rejected",)
    ]
    assert [j for j in world.journals() if " CAD " in j["Description"]] == []

    # Fixed in D365's terms (the store keeps its business unit 004), re-materialised, re-posted:
    # only what is missing goes.
    world.settings = dataclasses.replace(settings, mappings_dir=PROJECT_ROOT / "mappings")
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(
            world.settings, instance, [DAY], dg.AssetSelection.groups("gl")
        ).success
    again = world.post()
    assert [p["journal_key"] for p in again.posted] == [f"usrt-{DAY}-CAD"]
    assert all(len(j) == 1 for j in world.journals_by_key().values())
    assert len(world.journals_by_key()) == 2


def test_a_closed_period_is_a_dead_letter_with_d365s_message(world, tmp_path) -> None:
    world.sim.close()
    world.sim = D365Simulator(
        tmp_path / "closed.sqlite", closed_periods=[("usrt", DAY.strftime("%Y-%m"))]
    )

    report = world.post()

    assert report.posted == [] and len(report.dead_lettered) == 2
    assert all("closed" in d["error"] for d in report.dead_lettered)
    assert world.sim.journals("usrt") == []


def test_late_data_after_posting_goes_as_an_adjustment_of_the_difference(any_world) -> None:
    world = any_world
    world.post()
    before = dict(
        world.query("SELECT account_display_value, sum(amount) FROM gl.posted_lines GROUP BY 1")
    )

    land_late_copy_of_a_cash_ticket(LandingZone(world.settings.landing_dir), DAY, store_id="S001")
    # The late ticket goes through raw, canonical, reconciliation and the journals: its stream's
    # raw asset and everything downstream of it, as "materialize downstream" in the UI does.
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(world.settings, instance, [DAY], LATE_TICKETS).success
    report = world.post()

    [adjustment] = report.posted
    assert adjustment["kind"] == "adjustment"
    assert 0 < adjustment["lines"] <= 6  # cash, revenue, tax, cost of goods sold, inventory
    assert len(world.journals_by_key()) == 3
    posted = dict(
        world.query("SELECT account_display_value, sum(amount) FROM gl.posted_lines GROUP BY 1")
    )
    journal = dict(
        world.query(
            "SELECT account_display_value, sum(amount) FROM gl.journal_lines "
            "WHERE line_type = 'posting' AND amount <> 0 GROUP BY 1"
        )
    )
    assert {k: v for k, v in posted.items() if v != 0} == journal
    assert posted != before
    with world.api() as api:
        outcome = read_back_day(world.warehouse.writer, api, DAY)
    assert "difference" not in outcome and "missing_in_d365" not in outcome


@pytest.mark.parametrize(
    ("fault", "path"),
    [("stall", "/data/$batch"), ("slow", "/data/$batch")],
    ids=["killed between header and lines", "killed after sending, before recording"],
)
def test_a_poster_killed_mid_journal_is_finished_by_the_next_run_without_a_duplicate(
    world, fault, path
) -> None:
    server = serve(world.sim)
    world.sim.environment_url = server.base_url
    getattr(world.sim.faults, fault)(120, times=1, path=path)
    env = {
        **os.environ,
        "HL_D365_DATA_DIR": str(world.settings.data_dir),
        "D365_SANDBOX_URL": server.base_url,
    }
    env.pop("D365_CLIENT_SECRET", None)
    poster = subprocess.Popen(
        [sys.executable, "-m", "hl_d365_assets.cli", "post", "--day", DAY.isoformat()],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while world.sim.request_count("POST", "/data/$batch") == 0:
            assert poster.poll() is None, poster.stdout.read().decode()
            assert time.monotonic() < deadline, "the poster never sent its lines"
            time.sleep(0.05)
        if fault == "slow":  # the changeset is applied; the answer is held
            while not any(j["lines"] for j in world.sim.journals("usrt")):
                time.sleep(0.05)
        os.killpg(poster.pid, signal.SIGKILL)
        poster.wait(timeout=30)
    finally:
        world.sim.faults.release_slow()
        server.stop()
        world.sim.environment_url = None  # back to in-process use, any sandbox scope

    [in_flight] = world.journals_by_key().values()
    assert bool(in_flight[0]["lines"]) is (fault == "slow")
    assert world.query("SELECT status FROM gl.postings") == [("sending",)]

    report = world.post()

    assert len(report.already_in_d365) == 1 and len(report.posted) == 1
    by_key = world.journals_by_key()
    assert len(by_key) == 2 and all(len(journals) == 1 for journals in by_key.values())
    for [journal] in by_key.values():
        assert (
            journal["lines"]
            and world.sim.validate_journal("usrt", journal["JournalBatchNumber"]) == []
        )


def test_the_dagster_job_checks_posts_and_reads_back_for_the_day(world) -> None:
    from hl_d365_assets.definitions import defs

    server = serve(world.sim)
    world.sim.environment_url = server.base_url
    try:
        resources = {
            **build_resources(world.settings),
            "d365": d365_client(server.base_url),
        }
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("post_journals_job").execute_in_process(
                partition_key=DAY.isoformat(), instance=instance, resources=resources
            )
    finally:
        server.stop()
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {
        e.check_name
        for e in evaluations
        if e.passed and e.asset_key == dg.AssetKey(["gl", "journal_lines"])
    } == {"balanced", "accounts_in_chart", "inputs_mapped", "agrees_with_settlement", "risk_hold"}
    # The day has no pay run: the payroll journals' checks run too and have nothing to hold.
    assert all(e.passed for e in evaluations)
    metadata = result.asset_materializations_for_node("gl__postings")[0].metadata
    assert metadata["journals_posted"].value == 2
    assert world.query("SELECT DISTINCT status FROM recon.gl_vs_d365") == [("matched",)]


def _edited_mappings(tmp_path: Path, store: str, business_unit: str) -> Path:
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    dims = (mappings / "gl_store_dimensions.csv").read_text().splitlines()
    (mappings / "gl_store_dimensions.csv").write_text(
        "\n".join(
            f"{store},BusinessUnit,{business_unit},2020-01-01"
            if line.startswith(f"{store},BusinessUnit,")
            else line
            for line in dims
        )
        + "\n"
    )
    with (mappings / "gl_dimension_values.csv").open("a") as out:
        out.write(f"BusinessUnit,{business_unit},Toronto (new code)\n")
    return mappings


def test_nothing_is_sent_while_the_mapping_names_an_account_d365_lacks(world) -> None:
    with world.warehouse.writer() as conn:
        conn.execute(
            "INSERT INTO ops.d365_mapping_validation (checked_at, kind, dimension, value, "
            "referenced_by, exists_in_d365, d365_pulled_at, mappings_sha256) VALUES (now(), "
            "'main_account', NULL, '618950', 'gl_posting_rules.csv', false, now(), 'x')"
        ).fetchall()

    report = world.post()

    assert report.posted == [] and world.sim.journals("usrt") == []
    assert len(report.blocked) == 2
    assert all("main_account 618950" in held["failed_checks"] for held in report.blocked)
    assert world.sim.request_count("POST") == 0


def test_card_payments_of_d365_sales_orders_credit_their_customers_exactly_once(tmp_path) -> None:
    from hl_d365_assets.definitions import defs

    settings = make_settings(tmp_path / "data")
    day = date(2026, 11, 4)
    sim = D365Simulator(tmp_path / "d365.sqlite")
    server = serve(sim)
    sim.environment_url = server.base_url
    resources = {
        **build_resources(settings),
        "d365": d365_client(server.base_url),
    }
    generate_days(
        settings,
        [day],
        SandboxConfig(
            seed=42,
            transactions_per_store_day=40,
            defect_rates=DefectRates.none(),
            order_payments=True,
        ),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            assert (
                defs.resolve_job_def("d365_pull_job")
                .execute_in_process(instance=instance, resources=resources)
                .success
            )
            assert run_range(settings, instance, [day]).success
            post = defs.resolve_job_def("post_journals_job")
            assert post.execute_in_process(
                partition_key=str(day), instance=instance, resources=resources
            ).success
            again = post.execute_in_process(
                partition_key=str(day), instance=instance, resources=resources
            )
    finally:
        server.stop()
    assert again.success

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        paid = conn.execute(
            "SELECT transaction_id, sales_order_number, customer_account, amount FROM gl.customer_payments"
        ).fetchall()
        assert paid, "the sandbox paid no sales order that day"
        assert conn.execute("SELECT count(*) FROM gl.posted_customer_payments").fetchall() == [
            (len(paid),)
        ]
        assert conn.execute(
            "SELECT count(*) FROM recon.exceptions WHERE status = 'open' AND still_detected"
        ).fetchall() == [(0,)]
        read_back = conn.execute(
            "SELECT status, count(*) FROM recon.gl_vs_d365 WHERE account_display_value LIKE 'Cust %' "
            "GROUP BY 1"
        ).fetchall()
        customers = conn.execute(
            "SELECT count(DISTINCT customer_account) FROM gl.customer_payments"
        ).fetchall()
        assert read_back == [("matched", customers[0][0])]
    journals = sim.journals(header_set="CustomerPaymentJournalHeaders")
    assert len({j["Description"] for j in journals}) == len(journals)  # one per key
    all_lines = [line for j in journals for line in j["lines"]]
    lines = {(line["PaymentReference"], line["AccountDisplayValue"].replace("\\-", "-"), line["CreditAmount"])
             for line in all_lines}  # fmt: skip
    assert lines == {(trn, customer, amount) for trn, _, customer, amount in paid}
    orders = {trn: order for trn, order, _, _ in paid}
    assert all(
        line["TransactionText"].startswith(orders[line["PaymentReference"]]) for line in all_lines
    )
    assert len(all_lines) == len(paid)
    assert {line["OffsetAccountDisplayValue"] for line in all_lines} == {"130900"}
    sim.close()


def _post_through_dagster(world: World, **client_config: float) -> dg.ExecuteInProcessResult:
    """post_journals_job for DAY, as the UI, the post_after_load sensor or the demo (with run
    config of its own) launches it; ``client_config`` overrides fields of the D365 client."""
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.gl.jobs import post_journals_job

    server = serve(world.sim)
    world.sim.environment_url = server.base_url
    try:
        resources = {
            **build_resources(world.settings),
            "d365": _with_config(d365_client(server.base_url), **client_config),
        }
        with dg.DagsterInstance.ephemeral() as instance:
            return defs.resolve_job_def(post_journals_job.name).execute_in_process(
                partition_key=DAY.isoformat(),
                instance=instance,
                resources=resources,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
    finally:
        server.stop()
        world.sim.environment_url = None


def _errors(result: dg.ExecuteInProcessResult) -> list[tuple[str, str, str]]:
    """Every step failure of the run (what the UI shows with a stack trace): step, and the class
    and message of the error under Dagster's wrapper."""
    failures = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error.cause is not None:
                error = error.cause
            failures.append((event.step_key, error.cls_name, error.message))
    return failures


def test_a_day_its_checks_hold_back_ends_its_posting_run_without_error_and_says_why(
    world, tmp_path
) -> None:
    # Finance removed the Visa rule: every journal of the day has lines without an account.
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    rules = (mappings / "gl_posting_rules.csv").read_text().splitlines()
    (mappings / "gl_posting_rules.csv").write_text(
        "\n".join(line for line in rules if not line.startswith("tender,VISA,")) + "\n"
    )
    world.settings = dataclasses.replace(world.settings, mappings_dir=mappings)
    # The posting rules are read only by the journals: re-materialised alone, as a user's
    # "materialize selected" of group gl after the edit.
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(
            world.settings, instance, [DAY], dg.AssetSelection.groups("gl")
        ).success
    journals = sorted(expected_journals(world))

    result = _post_through_dagster(world)

    assert result.success and _errors(result) == []
    assert "DagsterAssetCheckFailedError" not in {
        event.event_type_value for event in result.all_events
    } | {str(event.message) for event in result.all_events}
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert {e.check_name for e in failed} == {"accounts_in_chart"}
    [held_by_check] = failed
    assert held_by_check.severity == dg.AssetCheckSeverity.WARN
    assert held_by_check.metadata["journals_held"].value == journals
    assert "tender and match_value VISA" in held_by_check.metadata["detail"].value
    [postings] = result.asset_materializations_for_node("gl__postings")
    assert postings.metadata["outcome"].value == (
        f"held back: accounts_in_chart ({', '.join(journals)})"
    )
    assert postings.metadata["journals_held_back"].value == len(journals) == 2
    assert postings.metadata["journals_posted"].value == 0
    held_back = postings.metadata["held_back"].value
    assert all(key in held_back for key in journals) and "match_value VISA" in held_back
    # Nothing written to D365 (the read-back that follows only reads: a token, then GETs).
    assert world.sim.request_count("POST", "/data/") == 0 and world.sim.journals("usrt") == []
    assert world.query("SELECT status, count(*) FROM gl.postings GROUP BY 1") == [("blocked", 2)]


def _with_config(client: D365Client, **overrides: float) -> D365Client:
    fields = {name: getattr(client, name) for name in D365Client.model_fields}
    return D365Client(**{**fields, **overrides})


def test_a_real_failure_still_fails_the_posting_run(world) -> None:
    world.sim.faults.token_endpoint_down(times=None)

    # Every try fails: the client's backoff between them (seconds of sleep) pins nothing here.
    result = _post_through_dagster(world, backoff_base_seconds=0)

    assert not result.success
    [(step, error, message)] = _errors(result)
    assert step == "gl__postings" and error != "DagsterAssetCheckFailedError"
    assert "Entra ID" in message
    assert world.sim.journals("usrt") == []
    assert ("failed",) in world.query("SELECT DISTINCT status FROM gl.postings")


# -- a service that is not D365, or not quite ---------------------------------------------------


def _against(world: World, fake: IndependentOData) -> IndependentOData:
    world.fake = fake
    fake.serve()
    return fake


def test_a_journal_kind_the_service_lacks_is_parked_with_its_answer_and_the_run_goes_on(
    world,
) -> None:
    fake = _against(world, independent_odata(entity_sets=["CustomerPaymentJournalHeaders"]))
    try:
        report = world.post()  # does not raise: 404 for the general journal's sets

        assert report.posted == [] and len(report.dead_lettered) == 2
        assert all("404" in d["error"] for d in report.dead_lettered)
        rows = world.query(
            "SELECT reason_detail, masked_payload FROM ops.quarantine WHERE source = 'd365'"
        )
        assert len(rows) == 2
        assert all("404 for LedgerJournalHeaders" in detail for detail, _ in rows)
        assert all("No HTTP resource" in json.loads(body)["error"]["message"] for _, body in rows)
        assert world.query("SELECT DISTINCT status FROM gl.postings") == [("dead_lettered",)]
        with world.api() as api:
            outcome = read_back_day(world.warehouse.writer, api, DAY)
        assert outcome["unreadable_entity_sets"] == 1  # read, said, and not raised

        fake.entity_sets = dict(JOURNAL_SETS)  # the service gains the entity sets
        again = world.post()
        assert len(again.posted) == 2
        assert all(len(j) == 1 for j in world.journals_by_key().values())
    finally:
        fake.stop()


def test_without_the_wildcard_the_read_back_finds_every_journal_by_its_exact_key(world) -> None:
    fake = _against(world, independent_odata(wildcards=False))
    try:
        world.post()
        with world.api() as api:
            outcome = read_back_day(world.warehouse.writer, api, DAY)
    finally:
        fake.stop()
    # Said for the general journals; the day sent no customer payment journal to compare with.
    assert outcome["prefix_listing_not_honoured"] == 1
    assert outcome["journals_read"] == 2 and outcome.get("matched", 0) > 0
    assert set(outcome) & {"difference", "missing_in_d365"} == set()


def test_a_service_that_ignores_the_filter_stops_posting_with_a_clear_error_not_a_duplicate(
    world,
) -> None:
    fake = _against(world, independent_odata(honour_filter=False))
    try:
        for _ in range(2):
            with pytest.raises(D365QueryNotHonoured, match="does not apply this filter"):
                world.post()
            assert all(len(j) == 1 for j in world.journals_by_key().values())
        assert len(world.journals_by_key()) == 1
    finally:
        fake.stop()


@pytest.mark.parametrize("path", ["/data/LedgerJournalHeaders", "/data/$batch"])
def test_an_unanswered_write_to_the_independent_service_is_resolved_by_looking(world, path) -> None:
    fake = _against(world, independent_odata())
    fake.drop_answer_after_applying("POST", path)
    try:
        report = world.post()
        again = world.post()
    finally:
        fake.stop()
    # Sent, applied, unanswered: found by its key (header) or its lines (changeset), once.
    assert len(report.posted) + len(report.already_in_d365) == 2
    assert again.posted == again.already_in_d365 == []
    statuses = [status for method, p, _, status in fake.requests if p == path and method == "POST"]
    assert statuses[0] is None
    by_key = world.journals_by_key()
    assert len(by_key) == 2 and all(len(j) == 1 and j[0]["lines"] for j in by_key.values())


def test_the_entra_authority_host_is_configuration_for_sovereign_clouds(world) -> None:
    host = "https://login.microsoftonline.us"
    fake = _against(world, independent_odata(authority_host=host))
    try:
        report = world.post(authority_host=host)
    finally:
        fake.stop()
    assert len(report.posted) == 2
    token_requests = [p for _, p, _, _ in fake.requests if p.endswith("/oauth2/v2.0/token")]
    assert token_requests == [f"/{fake.tenant_id}/oauth2/v2.0/token"]

    settings = load_settings({"D365_AUTHORITY_HOST": host + "/"})
    assert settings.d365_authority_host == host
    assert load_settings({}).d365_authority_host == "https://login.microsoftonline.com"
    with pytest.raises(SettingsError, match="D365_AUTHORITY_HOST"):
        load_settings({"D365_AUTHORITY_HOST": "http://login.example"})


def test_a_service_that_shortens_the_key_field_stops_posting_without_leaving_a_journal(
    world,
) -> None:
    fake = _against(world, independent_odata(description_length=30))
    try:
        for _ in range(2):
            with pytest.raises(D365Error, match="does not keep the key verbatim"):
                world.post()
            assert fake.journals("usrt") == []  # the header was deleted again, no line sent
    finally:
        fake.stop()
    assert not any(
        method == "POST" and path == "/data/$batch" for method, path, *_ in fake.requests
    )
