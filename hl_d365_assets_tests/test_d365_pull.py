"""D365 pulls into raw.d365_*: every table filled with what D365 holds, sales orders pulled
incrementally by creation time without losing the others, full pulls that drop what D365
deleted, decimals kept exact, and the blocking check that the GL mapping exists in D365.

Real components: the D365 simulator on a loopback server (OAuth, paging, OData), the production
client pointed at it by URL, the real Dagster jobs, and the warehouse file they write.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.pull import ENTITIES as D365_ENTITIES
from hl_d365_assets.defs.landing.jobs import d365_pull_job
from hl_d365_assets.defs.landing.schedules import d365_daily_pull
from hl_d365_assets.defs.raw.assets import raw_d365
from hl_d365_assets.defs.raw.checks import d365_conservation_checks
from hl_d365_assets.defs.raw.jobs import d365_mapping_check_job
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.d365_simulator.app import (
    D365Simulator,
)
from hl_d365_assets.sandbox.d365_simulator.entities import (
    CUSTOMERS,
    RELEASED_PRODUCTS,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    EntitySet,
    coerce,
    key_of,
    with_defaults,
)
from hl_d365_assets.sandbox.d365_simulator.seed import read_seed
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.loopback_receiver import client_for

PAGE_SIZE = 50
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
SEED = {entity_set: len(rows) for entity_set, rows in read_seed().items()}
TABLES = {
    "d365_main_accounts": "MainAccounts",
    "d365_dimension_values": "FinancialDimensionValues",
    "d365_customers": "CustomersV3",
    "d365_released_products": "ReleasedProductsV2",
    "d365_sales_orders": "SalesOrderHeadersV2",
    "d365_sales_order_lines": "SalesOrderLines",
    "d365_products": "ProductsV2",
    "d365_released_product_variants": "ReleasedProductVariantsV2",
    "d365_product_barcodes": "ProductBarcodesV3",
    "d365_employees": "EmployeesV2",
}
CHECK = "mappings_exist_in_d365"


@pytest.fixture
def d365() -> Iterator[tuple[D365Simulator, D365Client]]:
    """What D365 holds (the seed), served on loopback, and the client configured for it."""
    sim = D365Simulator(page_size=PAGE_SIZE)
    with serve(sim) as server:
        yield sim, client_for(server.base_url)
    sim.close()


def run_job(
    job: dg.UnresolvedAssetJobDefinition,
    settings: Settings,
    instance: dg.DagsterInstance,
    client: D365Client,
    *,
    full_sales_order_pull: bool = False,
) -> dg.ExecuteInProcessResult:
    from hl_d365_assets.definitions import defs

    run_config: dict = dict(QUIET)
    if job is d365_pull_job:
        run_config["ops"] = {
            "d365_pull": {"config": {"full_sales_order_pull": full_sales_order_pull}}
        }
    return defs.resolve_job_def(job.name).execute_in_process(
        instance=instance,
        resources={**build_resources(settings), "d365": client},
        run_config=run_config,
        raise_on_error=False,
    )


def pull(settings, instance, client, **kwargs) -> dg.ExecuteInProcessResult:
    return run_job(d365_pull_job, settings, instance, client, **kwargs)


def query(settings: Settings, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


def materialized(result: dg.ExecuteInProcessResult, table: str) -> dict:
    """The metadata of the run's materialisation of raw/<table>, as plain values."""
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["raw", table])
    ]
    metadata = event.step_materialization_data.materialization.metadata
    return {name: getattr(value, "value", value) for name, value in metadata.items()}


def mapping_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK]
    return evaluation


def add_record(sim: D365Simulator, entity: EntitySet, **fields: object) -> None:
    """A record as D365 would hold it, straight into the simulator's state (these entity sets
    are read-only over OData, as in D365: orders are entered in D365 itself)."""
    row = with_defaults(entity, {name: coerce(entity, name, v) for name, v in fields.items()})
    with sim.store.transaction():
        sim.store.insert(entity.name, key_of(entity, row), row["dataAreaId"], row)


def edited_mappings(settings: Settings, tmp_path: Path, file: str, line: str) -> Settings:
    """The same warehouse with a copy of mappings/ where ``line`` is appended to ``file``."""
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    with (mappings / file).open("a") as handle:
        handle.write(line + "\n")
    return dataclasses.replace(settings, mappings_dir=mappings)


@pytest.fixture(scope="module")
def first_pull(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, D365Client, dg.ExecuteInProcessResult]]:
    """One pull of the seed, shared by the tests that only read it or re-check the mapping."""
    sim = D365Simulator(page_size=PAGE_SIZE)
    settings = make_settings(tmp_path_factory.mktemp("d365_pull") / "data")
    with serve(sim) as server, dg.DagsterInstance.ephemeral() as instance:
        client = client_for(server.base_url)
        yield settings, client, pull(settings, instance, client)
    sim.close()


def test_a_first_pull_fills_every_table_with_what_d365_holds_in_every_legal_entity(
    first_pull,
) -> None:
    settings, _, result = first_pull
    assert result.success
    for table, entity_set in TABLES.items():
        assert query(settings, f"SELECT count(*) FROM raw.{table}") == [(SEED[entity_set],)]
        metadata = materialized(result, table)
        assert metadata["dagster/row_count"] == SEED[entity_set]
        assert metadata["records_fetched"] == SEED[entity_set]
        assert metadata["pages_fetched"] == math.ceil(SEED[entity_set] / PAGE_SIZE), table
        assert metadata["mode"] == "full"
    assert "no sales orders held yet" in materialized(result, "d365_sales_orders")["why"]

    # Money and quantities exact, as D365 sent them; D365 field names kept as columns.
    assert query(
        settings,
        "SELECT SalesPrice, UnitCost FROM raw.d365_released_products WHERE ItemNumber = 'SKU-10000'",
    ) == [(Decimal("46.99"), Decimal("24.43"))]
    assert query(
        settings,
        "SELECT OrderTotalAmount, OrderTotalTaxAmount, OrderCreationDateTime "
        "FROM raw.d365_sales_orders WHERE SalesOrderNumber = 'SO-000001'",
    ) == [
        (Decimal("1227.12"), Decimal("99.36"), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
    ]
    types = dict(
        query(
            settings,
            "SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name LIKE 'd365_%'",
        )
    )
    assert "DOUBLE" not in types.values() and "FLOAT" not in types.values()
    assert types["d365_sales_order_lines.LineAmount"] == "DECIMAL(18,2)"


def test_the_mapping_validates_against_the_seed_but_for_the_payroll_department_it_lacks(
    first_pull,
) -> None:
    """The sandbox's payroll mapping sends department 400 to VISMERCH, which D365 does not hold
    (an injected defect, issue 17): the check names it, at WARN severity, because it holds only
    the pay runs posting to it, not the pull or the day's other journals."""
    settings, _, result = first_pull
    assert result.success
    evaluation = mapping_check(result)
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["missing_main_accounts"].value == []
    assert evaluation.metadata["missing_dimension_values"].value == ["Department=VISMERCH"]
    assert evaluation.metadata["missing_for_payroll_only"].value == 1
    recorded = query(
        settings,
        "SELECT kind, count(*), count(*) FILTER (WHERE exists_in_d365), "
        "count(DISTINCT mappings_sha256) FROM ops.d365_mapping_validation GROUP BY kind ORDER BY kind",
    )
    assert recorded == [("dimension_value", 13, 12, 1), ("main_account", 39, 39, 1)]


@pytest.mark.parametrize(
    ("file", "line"),
    [
        ("gl_main_accounts.csv", "999999,Phantom account,BalanceSheet"),
        (
            "gl_posting_rules.csv",
            "tender,PHANTOM,999999,store,A tender D365 cannot book,2020-01-01",
        ),
    ],
)
def test_the_check_fails_naming_a_mapped_main_account_d365_lacks(
    first_pull, tmp_path: Path, file: str, line: str
) -> None:
    settings, client, _ = first_pull
    edited = edited_mappings(settings, tmp_path, file, line)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_job(d365_mapping_check_job, edited, instance, client)
    evaluation = mapping_check(result)
    assert not evaluation.passed
    assert evaluation.blocking and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["missing_main_accounts"].value == ["999999"]
    assert evaluation.metadata["missing_dimension_values"].value == ["Department=VISMERCH"]
    assert "999999** is not in D365 (used by " + file in evaluation.metadata["detail"].value
    assert query(
        edited,
        "SELECT kind, value, referenced_by FROM ops.d365_mapping_validation "
        "WHERE NOT exists_in_d365 ORDER BY kind",
    ) == [
        ("dimension_value", "VISMERCH", "gl_dimension_values.csv, payroll_departments.csv"),
        ("main_account", "999999", file),
    ]


def test_the_check_fails_naming_a_dimension_value_d365_lacks(first_pull, tmp_path: Path) -> None:
    settings, client, _ = first_pull
    edited = edited_mappings(
        settings, tmp_path, "gl_dimension_values.csv", "BusinessUnit,042,Store not yet in D365"
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_job(d365_mapping_check_job, edited, instance, client)
    evaluation = mapping_check(result)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["missing_dimension_values"].value == [
        "BusinessUnit=042",
        "Department=VISMERCH",
    ]
    assert evaluation.metadata["missing_main_accounts"].value == []


def test_the_daily_pull_fetches_only_orders_created_since_the_newest_held_and_keeps_the_others(
    d365, settings: Settings, instance: dg.DagsterInstance
) -> None:
    sim, client = d365
    first = pull(settings, instance, client)
    assert first.success
    first_pulled_at = query(settings, "SELECT max(pulled_at) FROM raw.d365_sales_orders")[0][0]
    newest = datetime(2026, 11, 20, 17, 33, tzinfo=UTC)  # SO-000040, the seed's newest order
    add_record(
        sim,
        SALES_ORDER_HEADERS,
        dataAreaId="usrt",
        SalesOrderNumber="SO-000041",
        SalesOrderName="Harbor Hospitality",
        OrderingCustomerAccountNumber="US-001",
        CurrencyCode="USD",
        SalesOrderStatus="Backorder",
        OrderCreationDateTime=(newest + timedelta(days=1)).isoformat(),
        OrderTotalAmount="150.25",
        OrderTotalTaxAmount="12.25",
    )
    for lot, (line, amount) in enumerate([(1, "100.00"), (2, "38.00")], start=900001):
        add_record(
            sim,
            SALES_ORDER_LINES,
            dataAreaId="usrt",
            InventoryLotId=str(lot),
            SalesOrderNumber="SO-000041",
            LineNumber=line,
            ItemNumber="SKU-10000",
            LineAmount=amount,
            CurrencyCode="USD",
        )

    second = pull(settings, instance, client)
    assert second.success
    orders = materialized(second, "d365_sales_orders")
    assert orders["mode"] == "incremental"
    # The new order, and the newest held one again (inside the 60-minute overlap): nothing else.
    assert orders["records_fetched"] == 2
    assert orders["net_row_change"] == 1
    assert orders["watermark"]["newest_held_before"] == "2026-11-20T17:33:00Z"
    assert orders["watermark"]["fetched_created_since"] == "2026-11-20T16:33:00Z"
    assert orders["watermark"]["newest_held_after"] == "2026-11-21T17:33:00Z"
    lines = materialized(second, "d365_sales_order_lines")
    seed_lines_of_so40 = query(
        settings,
        "SELECT count(*) FROM raw.d365_sales_order_lines WHERE SalesOrderNumber = 'SO-000040'",
    )[0][0]
    assert lines["mode"] == "incremental"
    assert lines["records_fetched"] == 2 + seed_lines_of_so40
    assert query(settings, "SELECT count(*) FROM raw.d365_sales_orders") == [(41,)]
    assert query(settings, "SELECT count(*) FROM raw.d365_sales_order_lines") == [
        (SEED["SalesOrderLines"] + 2,)
    ]
    # The orders not re-fetched are kept as the first pull wrote them.
    assert query(
        settings,
        "SELECT count(*) FROM raw.d365_sales_orders WHERE pulled_at = $first",
        {"first": first_pulled_at},
    ) == [(39,)]
    assert query(
        settings,
        "SELECT OrderTotalAmount, LineAmount FROM raw.d365_sales_orders "
        "JOIN raw.d365_sales_order_lines USING (dataAreaId, SalesOrderNumber) "
        "WHERE SalesOrderNumber = 'SO-000041' ORDER BY LineNumber",
    ) == [(Decimal("150.25"), Decimal("100.00")), (Decimal("150.25"), Decimal("38.00"))]
    # Reference data is pulled whole every time.
    assert materialized(second, "d365_customers")["mode"] == "full"


def test_a_full_pull_drops_a_customer_deleted_in_d365_and_a_full_order_pull_drops_orders(
    d365, settings: Settings, instance: dg.DagsterInstance
) -> None:
    sim, client = d365
    assert pull(settings, instance, client).success
    with sim.store.transaction():
        sim.store.delete(
            CUSTOMERS.name, key_of(CUSTOMERS, {"dataAreaId": "usrt", "CustomerAccount": "US-001"})
        )
        sim.store.delete(
            SALES_ORDER_HEADERS.name,
            key_of(SALES_ORDER_HEADERS, {"dataAreaId": "usrt", "SalesOrderNumber": "SO-000001"}),
        )

    second = pull(settings, instance, client, full_sales_order_pull=True)
    assert second.success
    assert materialized(second, "d365_customers")["net_row_change"] == -1
    assert query(settings, "SELECT count(*) FROM raw.d365_customers") == [
        (SEED["CustomersV3"] - 1,)
    ]
    assert query(
        settings, "SELECT count(*) FROM raw.d365_customers WHERE CustomerAccount = 'US-001'"
    ) == [(0,)]
    orders = materialized(second, "d365_sales_orders")
    assert orders["mode"] == "full" and "requested" in orders["why"]
    assert query(
        settings, "SELECT count(*) FROM raw.d365_sales_orders WHERE SalesOrderNumber = 'SO-000001'"
    ) == [(0,)]


def test_a_decimal_the_table_would_round_fails_the_pull_and_writes_nothing(
    d365, settings: Settings, instance: dg.DagsterInstance
) -> None:
    sim, client = d365
    add_record(
        sim,
        RELEASED_PRODUCTS,
        dataAreaId="usrt",
        ItemNumber="SKU-99999",
        SalesPrice="12.3456789",
    )
    result = pull(settings, instance, client)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "SalesPrice=12.3456789" in message and "ReleasedProductsV2" in message
    assert query(settings, "SELECT count(*) FROM raw.d365_customers") == [(0,)]


def test_the_schedule_pulls_nightly_and_every_sales_order_on_sundays() -> None:
    def requested(day: datetime) -> dict:
        context = dg.build_schedule_context(scheduled_execution_time=day)
        run_config = d365_daily_pull.evaluate_tick(context).run_requests[0].run_config
        return run_config["ops"]["d365_pull"]["config"]

    assert d365_daily_pull.default_status == dg.DefaultScheduleStatus.RUNNING
    assert d365_daily_pull.cron_schedule == "0 2 * * *"
    assert requested(datetime(2026, 11, 21, 2, tzinfo=UTC))["full_sales_order_pull"] is False
    assert requested(datetime(2026, 11, 22, 2, tzinfo=UTC))["full_sales_order_pull"] is True


def table_rows(settings: Settings) -> dict[str, list[tuple]]:
    return {table: query(settings, f"SELECT * FROM raw.{table} ORDER BY ALL") for table in TABLES}


def test_the_pull_lands_every_record_as_segments_that_replay_into_the_same_tables_without_d365(
    d365, settings: Settings, instance: dg.DagsterInstance
) -> None:
    _, client = d365
    result = pull(settings, instance, client)
    assert result.success
    conservation = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "conservation"
    ]
    assert len(conservation) == len(D365_ENTITIES) and all(e.passed for e in conservation)

    zone = LandingZone(settings.landing_dir)
    pulled_day = materialized(result, "d365_customers")["landing_business_date"]
    for table, entity_set in TABLES.items():
        entity = table.removeprefix("d365_")
        assert zone.business_dates("d365", entity) == [pulled_day]
        lines = [
            json.loads(line)
            for segment in zone.segments("d365", entity, pulled_day)
            for line in segment.read_text().splitlines()
        ]
        records = [line for line in lines if line["event_type"] == "d365.record"]
        (completed,) = [line for line in lines if line["event_type"] == "d365.pull_completed"]
        assert len(records) == SEED[entity_set] == completed["payload"]["records"]
        assert {line["received_at"] for line in lines} == {completed["received_at"]}
    # Decimals landed as their exact digits, never a float.
    (product,) = [
        line["payload"]
        for segment in zone.segments("d365", "released_products", pulled_day)
        for line in map(json.loads, segment.read_text().splitlines())
        if line["payload"].get("ItemNumber") == "SKU-10000"
    ]
    assert product["SalesPrice"] == "46.99"

    pulled = table_rows(settings)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        for table in TABLES:
            conn.execute(f"DELETE FROM raw.{table}")
    # D365 unreachable: only the landing zone is left to rebuild from.
    unreachable = client_for("http://127.0.0.1:9")
    replay = dg.materialize(
        [raw_d365, *d365_conservation_checks],
        instance=instance,
        resources={**build_resources(settings), "d365": unreachable},
        run_config=QUIET,
    )
    assert replay.success
    assert table_rows(settings) == pulled
    replayed_checks = replay.get_asset_check_evaluations()
    assert len(replayed_checks) == len(D365_ENTITIES) and all(e.passed for e in replayed_checks)
