"""Many merchants: the tenants file, a run's tenant named by its tag, and tenants' days run at once,
each in its own warehouse, one tenant's held or failed day leaving the others' journals alone."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._utils.tags import TagConcurrencyLimitsCounter

from hl_d365_assets.backfill import day_summaries
from hl_d365_assets.cli import main
from hl_d365_assets.defs.landing.sensors import landing_sensor
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.demo.tenants import HELD_TENANT, TenantOutcome, run_tenant_days
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.sandbox.tenant_days import SANDBOX_TENANTS_FILE
from hl_d365_assets.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from hl_d365_assets.tenants import (
    TENANT_TAG,
    layer_mappings,
    load_tenants,
    settings_for_tenant,
    tenant_tags,
)
from hl_d365_assets_tests.conftest import daily_job, make_settings

# The three tenants' concurrent days (a module fixture) take minutes on a loaded machine: start
# this file first under xdist.
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 20)
STORES = {
    "contoso_east": {"S001", "S002"},
    "contoso_ca": {"S004", "S005"},
    "contoso_west": {"S003"},
}


def sandbox_tenants_copy(folder: Path) -> Path:
    """The sandbox's tenants file and overrides in ``folder``, for a test to edit."""
    shutil.copytree(SANDBOX_TENANTS_FILE.parent, folder / "tenants")
    return folder / "tenants" / "tenants.yaml"


def settings_with(tenants_file: Path, data_dir: Path) -> Settings:
    return load_settings(
        {"HL_D365_DATA_DIR": str(data_dir), "HL_D365_TENANTS_FILE": str(tenants_file)}
    )


# --- the tenants file -------------------------------------------------------------------------


def test_the_sandbox_serves_three_merchants_each_in_its_own_folder(tmp_path: Path) -> None:
    settings = settings_with(SANDBOX_TENANTS_FILE, tmp_path / "data")
    tenants = load_tenants(settings)
    assert {t.id: set(t.stores) for t in tenants.values()} == STORES
    assert {t.id: t.base_currency for t in tenants.values()} == {
        "contoso_east": "USD",
        "contoso_ca": "CAD",
        "contoso_west": "USD",
    }
    assert {t.data_dir for t in tenants.values()} == {
        tmp_path / "data" / "tenants" / tenant_id for tenant_id in STORES
    }
    assert tenants["contoso_ca"].time_zone == "America/Toronto"
    assert tenants["contoso_ca"].mappings_overrides == SANDBOX_TENANTS_FILE.parent / (
        "overrides/contoso_ca"
    )


def test_without_a_tenants_file_there_is_one_implicit_tenant(tmp_path: Path) -> None:
    settings = load_settings({"HL_D365_DATA_DIR": str(tmp_path)})
    assert settings.tenants_file is None
    assert load_tenants(settings) == {}
    assert settings_for_tenant(settings, None) is settings
    with pytest.raises(SettingsError, match="'acme' is not in the tenants file"):
        settings_for_tenant(settings, "acme")


BASE_TENANT = """  - id: {id}
    legal_entities: [usrt]
    merchant_account: MA-1
    stores: [{store}]
    base_currency: USD
    time_zone: America/New_York
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tenants: []\n", "a top-level 'tenants:' list"),
        ("tenants:\n" + BASE_TENANT.format(id="a", store="S001") * 2, "id 'a' appears twice"),
        (
            "tenants:\n"
            + BASE_TENANT.format(id="a", store="S001")
            + BASE_TENANT.format(id="b", store="S001"),
            "store S001 belongs to both a and b",
        ),
        ("tenants:\n" + BASE_TENANT.format(id="Acme.Inc", store="S001"), "is not [a-z0-9_-]"),
        (
            "tenants:\n"
            + BASE_TENANT.format(id="a", store="S001").replace("America/New_York", "Mars/Base"),
            "time_zone 'Mars/Base' is not an IANA time zone",
        ),
        (
            "tenants:\n" + BASE_TENANT.format(id="a", store="S001").replace("USD", "usd"),
            "base_currency 'usd' is not an ISO code",
        ),
        (
            "tenants:\n" + BASE_TENANT.format(id="a", store="S001") + "    warehouse: x\n",
            "unknown field(s) warehouse",
        ),
        (
            "tenants:\n" + BASE_TENANT.format(id="a", store="S001").replace("[S001]", "[]"),
            "tenant #1: missing stores",
        ),
        (
            "tenants:\n" + BASE_TENANT.format(id="a", store="S001") + "    mappings: nowhere\n",
            "nowhere does not exist",
        ),
        (
            "tenants:\n"
            + BASE_TENANT.format(id="a", store="S001")
            + "    data_dir: shared\n"
            + BASE_TENANT.format(id="b", store="S002")
            + "    data_dir: shared\n",
            "tenants a and b share the data folder",
        ),
        ("tenants: [\n", "is not YAML"),
    ],
)
def test_a_tenants_file_that_cannot_run_is_refused_naming_what_to_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_tenants(settings_with(path, tmp_path / "data"))


def test_a_tenants_mappings_are_the_shipped_ones_with_its_overrides_and_only_its_stores(
    tmp_path: Path,
) -> None:
    settings = settings_with(SANDBOX_TENANTS_FILE, tmp_path / "data")
    canada = load_tenants(settings)["contoso_ca"]
    folder = layer_mappings(settings.mappings_dir, canada)
    assert folder.parent == canada.data_dir / "mappings_layered"
    assert "cart,Contoso Retail Canada,CAD" in (folder / "legal_entities.csv").read_text()
    stores = (folder / "stores.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in stores[1:]] == ["S004", "S005"]
    assert all(",cart,CAD," in line for line in stores[1:])
    shipped = settings.mappings_dir / "gl_posting_rules.csv"
    assert (folder / "gl_posting_rules.csv").read_bytes() == shipped.read_bytes()
    # Laid out once per content: the next run reads the same folder.
    assert layer_mappings(settings.mappings_dir, canada) == folder


def test_a_tenant_whose_currency_is_not_its_legal_entitys_is_refused(tmp_path: Path) -> None:
    tenants_file = sandbox_tenants_copy(tmp_path)
    text = tenants_file.read_text().replace("base_currency: CAD", "base_currency: USD")
    tenants_file.write_text(text)
    settings = settings_with(tenants_file, tmp_path / "data")
    with pytest.raises(
        SettingsError, match=r"legal entity cart's base currency in legal_entities.csv is CAD"
    ):
        settings_for_tenant(settings, "contoso_ca")


# --- a run's tenant -------------------------------------------------------------------------


@dg.op
def where_the_run_writes(
    warehouse: dg.ResourceParam[object],
    landing: dg.ResourceParam[object],
    mappings: dg.ResourceParam[object],
    payroll_inbox: dg.ResourceParam[object],
) -> dict[str, str]:
    return {
        "warehouse": warehouse.database,
        "read_copy": warehouse.read_copy,
        "landing": landing.root,
        "mappings": mappings.directory,
        "payroll_inbox": payroll_inbox.inbox,
    }


@dg.job
def paths_job() -> None:
    where_the_run_writes()


def test_a_tagged_run_gets_its_tenants_files_and_an_untagged_run_the_deployments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HL_D365_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HL_D365_TENANTS_FILE", str(SANDBOX_TENANTS_FILE))
    settings = load_settings()
    resources = build_resources(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        untagged = paths_job.execute_in_process(resources=resources, instance=instance)
        tagged = paths_job.execute_in_process(
            resources=resources, instance=instance, tags=tenant_tags("contoso_west")
        )
        unknown = paths_job.execute_in_process(
            resources=resources, instance=instance, tags=tenant_tags("nobody"), raise_on_error=False
        )
    west = tmp_path / "data" / "tenants" / "contoso_west"
    assert untagged.output_for_node("where_the_run_writes") == {
        "warehouse": str(settings.warehouse_path),
        "read_copy": str(settings.read_copy_path),
        "landing": str(settings.landing_dir),
        "mappings": str(settings.mappings_dir),
        "payroll_inbox": settings.payroll_inbox,
    }
    paths = tagged.output_for_node("where_the_run_writes")
    assert paths["warehouse"] == str(west / "warehouse.duckdb")
    assert paths["read_copy"] == str(west / "warehouse_read.duckdb")
    assert paths["landing"] == str(west / "landing")
    assert paths["payroll_inbox"] == str(west / "payroll" / "inbox")
    assert Path(paths["mappings"]).parent == west / "mappings_layered"
    assert "S003,150.00" in (Path(paths["mappings"]) / "pos_ticket_limits.csv").read_text()
    assert not unknown.success
    assert "'nobody' is not in the tenants file" in str(unknown.all_events)


def test_the_instance_runs_one_run_per_tenant_at_a_time_and_tenants_side_by_side(
    tmp_path: Path,
) -> None:
    """docs/tenants.md's instance configuration: the queued run coordinator's per-tenant limit,
    as its daemon applies it (Dagster's own counter, fed with real runs of the instance)."""
    page = (PROJECT_ROOT / "docs" / "tenants.md").read_text()
    block = page[page.index("```yaml\nconcurrency:") + len("```yaml\n") :].split("```")[0]
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text(block)
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {
            "key": TENANT_TAG,
            "value": {"applyLimitPerUniqueValue": True},
            "limit": 1,
        } in limits

        def run(tags: dict[str, str]) -> dg.DagsterRun:
            return instance.create_run_for_job(paths_job, tags=tags)

        in_progress = [run(tenant_tags("contoso_east"))]
        counter = TagConcurrencyLimitsCounter(limits, in_progress)
        assert counter.is_blocked(run(tenant_tags("contoso_east")))
        assert not counter.is_blocked(run(tenant_tags("contoso_ca")))
        assert not counter.is_blocked(run({}))


# --- three tenants' days at once ------------------------------------------------------------


@pytest.fixture(scope="module")
def three_tenants(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, dict[str, TenantOutcome], dg.DagsterInstance]]:
    """The sandbox's three tenants' small days landed and run at the same time, one process
    each, as `make demo` does; contoso_west's day carries a tender no mapping names."""
    folder = tmp_path_factory.mktemp("tenants")
    tenants_file = sandbox_tenants_copy(folder)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HL_D365_DATA_DIR", str(folder / "data"))
        env.setenv("HL_D365_TENANTS_FILE", str(tenants_file))
        settings = load_settings()
        (folder / "home").mkdir()
        with dg.instance_for_test(temp_dir=str(folder / "home")) as instance:
            outcomes = {o.tenant: o for o in run_tenant_days(instance, settings, DAY)}
            yield settings, outcomes, instance


def test_tenants_days_run_at_the_same_time_each_into_its_own_warehouse(three_tenants) -> None:
    settings, outcomes, instance = three_tenants
    assert all(o.success for o in outcomes.values()), outcomes
    runs = [instance.get_run_record_by_id(o.run_id) for o in outcomes.values()]
    assert max(r.start_time for r in runs) < min(r.end_time for r in runs), "runs did not overlap"
    assert not settings.warehouse_path.exists(), "a tenant's run wrote the implicit warehouse"
    for tenant_id, stores in STORES.items():
        own = settings_for_tenant(settings, tenant_id)
        conn = duckdb.connect(str(own.read_copy_path), read_only=True)
        try:
            sold = {
                r[0]
                for r in conn.sql("SELECT DISTINCT store_id FROM canonical.payments").fetchall()
            }
            journals = conn.sql("SELECT journal_key FROM gl.journals").fetchall()
        finally:
            conn.close()
        assert sold == stores, tenant_id
        entity, currency = ("cart", "CAD") if tenant_id == "contoso_ca" else ("usrt", "USD")
        assert [j[0] for j in journals] == [f"{entity}-{DAY}-{currency}"], tenant_id


def test_one_tenants_held_day_leaves_the_others_journals_ready(three_tenants) -> None:
    _, outcomes, _ = three_tenants
    assert outcomes[HELD_TENANT].journals_held == 1
    assert "inputs_mapped" in outcomes[HELD_TENANT].held_by
    for tenant_id in ("contoso_east", "contoso_ca"):
        assert (outcomes[tenant_id].journals_ready, outcomes[tenant_id].journals_held) == (1, 0)


def test_runs_carry_their_tenant_so_the_runs_page_filters_one_tenants_days(three_tenants) -> None:
    _, outcomes, instance = three_tenants
    for tenant_id, outcome in outcomes.items():
        runs = instance.get_runs(filters=dg.RunsFilter(tags={TENANT_TAG: tenant_id}))
        assert [(r.run_id, r.tags["dagster/partition"]) for r in runs] == [
            (outcome.run_id, DAY.isoformat())
        ]


def test_one_tenants_failed_run_leaves_the_others_warehouses_untouched(
    three_tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _, instance = three_tenants
    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HL_D365_TENANTS_FILE", str(settings.tenants_file))
    east = settings_for_tenant(settings, "contoso_east")
    canada = settings_for_tenant(settings, "contoso_ca")
    before = hashlib.sha256(canada.warehouse_path.read_bytes()).hexdigest()
    east.warehouse_path.write_bytes(b"not a DuckDB file " * 100)
    # One step is enough to fail the run: its retries on a file that is not a warehouse take
    # seconds, where every raw step retrying would take a minute.
    result = (
        daily_job()
        .get_subset(asset_selection={dg.AssetKey(["raw", "payment_transactions"])})
        .execute_in_process(
            partition_key=DAY.isoformat(),
            instance=instance,
            resources=build_resources(make_settings(settings.data_dir)),
            tags=tenant_tags("contoso_east"),
            raise_on_error=False,
        )
    )
    assert not result.success
    assert hashlib.sha256(canada.warehouse_path.read_bytes()).hexdigest() == before
    [summary] = day_summaries(canada, DAY, DAY)
    assert (summary.journals_ready, summary.journals_held) == (1, 0)


def test_a_backfill_of_one_tenant_rebuilds_its_days_in_its_own_warehouse(
    three_tenants, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    settings, outcomes, instance = three_tenants
    for name, value in {
        "HL_D365_DATA_DIR": settings.data_dir,
        "HL_D365_TENANTS_FILE": settings.tenants_file,
        "DAGSTER_HOME": instance.root_directory,
    }.items():
        monkeypatch.setenv(name, str(value))
    canada = settings_for_tenant(settings, "contoso_ca")
    before = hashlib.sha256(canada.warehouse_path.read_bytes()).hexdigest()
    day = DAY.isoformat()
    assert main(["backfill", "--from", day, "--to", day, "--tenant", "nobody"]) == 2
    assert "'nobody' is not in the tenants file" in capsys.readouterr().err
    assert main(["backfill", "--from", day, "--to", day, "--tenant", "contoso_west"]) == 0
    printed = capsys.readouterr().out
    assert "as one run" in printed and "of tenant contoso_west" in printed
    assert "0/1 (inputs_mapped" in printed
    [rebuilt] = [
        r
        for r in instance.get_runs(filters=dg.RunsFilter(tags={TENANT_TAG: "contoso_west"}))
        if r.run_id != outcomes["contoso_west"].run_id
    ]
    assert rebuilt.tags["dagster/asset_partition_range_start"] == day
    assert hashlib.sha256(canada.warehouse_path.read_bytes()).hexdigest() == before


def test_the_landing_sensor_requests_a_run_per_tenant_and_day_tagged_with_the_tenant(
    three_tenants, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _, _ = three_tenants
    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HL_D365_TENANTS_FILE", str(settings.tenants_file))
    with dg.DagsterInstance.ephemeral() as instance:

        def tick(cursor: str | None) -> dg.SensorResult:
            context = dg.build_sensor_context(
                instance=instance,
                cursor=cursor,
                # The implicit tenant's landing zone: empty here.
                resources={"landing": LandingZoneResource(root=str(tmp_path / "landing"))},
            )
            return landing_sensor(context)

        first = tick(None)
    assert sorted((r.tags[TENANT_TAG], r.partition_key) for r in first.run_requests) == [
        (tenant_id, DAY.isoformat()) for tenant_id in sorted(STORES)
    ]
    assert all(r.run_key.startswith(f"landing:{r.tags[TENANT_TAG]}:") for r in first.run_requests)
