"""Shared fixtures: a real Dagster instance (sqlite, temporary), a warehouse and landing zone in
a temporary folder, and helpers that run the real job for a business day.

`make test` runs the suite on four pytest-xdist workers (``-n 4 --dist loadfile``), each its own
process. A test file is one unit of work, so its module fixtures (a webserver, a built wheel) are
made once. A new test is parallel-safe when it:

- writes only under ``tmp_path`` / ``tmp_path_factory`` (never the project's ``data/``,
  ``bench_data/`` or ``.dagster_home``), through the fixtures below or ``make_settings``;
- sets environment variables only through ``monkeypatch`` (undone after the test, and per worker);
- listens on port 0 or :func:`hl_d365_assets.webhook.process.free_port`, never the simulators'
  defaults 8765/8766/8767, and gives every child process (``hl-d365``, ``dagster dev``, ``make``)
  its own ``DAGSTER_HOME`` and ``HL_D365_DATA_DIR``;
- bounds wall-clock time only with wide margins: the other worker shares the cores.

Tests that must run one after another on one worker go in one file: ``xdist_group`` marks are
not honoured (pytest-xdist 3.8 renames the test's ``_nodeid``, which pytest 9 no longer reads).
A file whose few tests take a minute (servers, subprocesses) carries
``pytestmark = pytest.mark.schedule_first``.

Where the temporary files go: a run of the daily job commits to its Dagster instance's SQLite
event log about a thousand times and checkpoints its DuckDB warehouse, and each commit waits for
the disk (18 ms a commit on a loaded shared disk, 0.1 ms in memory): more than half a run's time.
So when ``/dev/shm`` (a RAM-backed tmpfs) is there with room, the run's ``tmp_path`` folders,
``dg.DagsterInstance.ephemeral()`` instances and child processes' temporary files go to one folder there
(``TMPDIR``), removed when the run ends; ``--basetemp`` or ``HL_D365_TEST_TMPDIR=disk`` keeps them
on disk. The files, their locks and the SQL are the same; only durability across a power cut,
which no test asks about, is given up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import GenerationReport, SandboxConfig
from hl_d365_assets.sandbox.tenant_days import land_days
from hl_d365_assets.settings import PROJECT_ROOT, Settings

IN_MEMORY_TMP_ROOT = Path("/dev/shm")
IN_MEMORY_TMP_MIN_FREE = 4 * 1024**3  # a whole run writes about 2.5 GB


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _temporary_files_in_memory(config)
    config.addinivalue_line(
        "markers",
        "schedule_first: a file whose few tests take long (servers, subprocesses); xdist starts "
        "it before the others so it does not become the run's tail",
    )


def _temporary_files_in_memory(config: pytest.Config) -> None:
    """On the controller (the xdist workers inherit ``TMPDIR`` and their basetemp from it), before
    pytest picks its basetemp: one folder for this run in ``/dev/shm`` becomes the temp dir."""
    if hasattr(config, "workerinput") or config.option.basetemp:
        return
    if os.environ.get("HL_D365_TEST_TMPDIR") == "disk" or not os.access(
        IN_MEMORY_TMP_ROOT, os.W_OK
    ):
        return
    if shutil.disk_usage(IN_MEMORY_TMP_ROOT).free < IN_MEMORY_TMP_MIN_FREE:
        return
    folder = tempfile.mkdtemp(prefix="hl_d365_tests-", dir=IN_MEMORY_TMP_ROOT)
    os.environ["TMPDIR"] = tempfile.tempdir = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` passes ``--no-loadscope-reorder``, so the files go out to the workers in the
    order sorted here: ``schedule_first`` files, then the files with most tests (xdist's own
    order would send the long few-test files last, one worker finishing them while the other
    idles)."""
    size = Counter(item.path for item in items)
    first = {item.path for item in items if item.get_closest_marker("schedule_first")}
    items.sort(key=lambda item: (item.path not in first, -size[item.path]))


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        mappings_dir=PROJECT_ROOT / "mappings",
        merchant_timezone="America/New_York",
        first_business_day=date(2026, 1, 1),
        base_currency="USD",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def zone(settings: Settings) -> LandingZone:
    return LandingZone(settings.landing_dir)


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    """One Dagster instance per test file, shared by the tests that take it: Dagster's in-memory
    instance (DagsterInstance.ephemeral(): the real run and event-log storage, in SQLite in
    memory). A sandbox day's run costs 8.4 s of CPU on it against 12.0 s on an on-disk test
    instance (measured on a sandbox day of 120 transactions a store), the difference being
    SQLite's file commits for each of the run's ~470 events. Per file, not per worker: one
    in-memory event log shared by a whole worker made the suite slower (20 min 43 s against
    14 min 42 s, measured in an earlier stop). Tests that need the instance on disk (a webserver, a daemon, a second
    process) make their own."""
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


def generate_days(
    settings: Settings, days: Sequence[date], config: SandboxConfig, **kwargs
) -> GenerationReport:
    """Generate sandbox days and land them as production does (:func:`land_days`): the
    gateway's segments by the generator, the POS tickets by the real Heartland Retail pull."""
    return land_days(settings, days, config, **kwargs)


def daily_job() -> dg.JobDefinition:
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.ops.jobs import daily_heartland_job

    return defs.resolve_job_def(daily_heartland_job.name)


def run_day(
    settings: Settings, instance: dg.DagsterInstance, day: date | str, **kwargs
) -> dg.ExecuteInProcessResult:
    """Materialise one business day through the real job, against this test's folders."""
    return daily_job().execute_in_process(
        partition_key=str(day), instance=instance, resources=build_resources(settings), **kwargs
    )


def range_tags(days: Sequence[date]) -> dict[str, str]:
    """The tags that make a run cover ``days`` as one partition range (a single-run backfill)."""
    return {
        "dagster/asset_partition_range_start": str(days[0]),
        "dagster/asset_partition_range_end": str(days[-1]),
    }


def run_range(
    settings: Settings,
    instance: dg.DagsterInstance,
    days: Sequence[date],
    assets: set[dg.AssetKey] | None = None,
    with_checks: bool = True,
    **kwargs,
) -> dg.ExecuteInProcessResult:
    """A single run over a partition range, as a UI backfill with a single-run policy makes;
    of ``assets`` of the daily job only, when given (as the UI's "materialize selected"), with
    every check of those assets unless ``with_checks`` is False."""
    job = daily_job()
    if assets is not None:
        job = job.get_subset(
            asset_selection=assets, asset_check_selection=None if with_checks else set()
        )
    return job.execute_in_process(
        instance=instance, resources=build_resources(settings), tags=range_tags(days), **kwargs
    )


def rematerialise(
    settings: Settings,
    instance: dg.DagsterInstance,
    days: Sequence[date],
    selection: dg.AssetSelection,
    resources: dict | None = None,
    **kwargs,
) -> dg.ExecuteInProcessResult:
    """A run of the daily job's assets in ``selection`` only over ``days``, with the job's own
    checks on them: what a user's "materialize selected" in the job launches after a change only
    they read, e.g. ``AssetSelection.groups("gl")`` after a mapping the journals read, or
    ``AssetSelection.assets(raw_key).downstream()`` after a late segment of that raw stream.
    Unlike :func:`run_range`'s ``assets`` (Dagster's subset takes every check of the selected
    assets), the journals' blocking checks, which the daily job leaves to journal_checks_job, are
    not run. ``resources`` replace the settings' own by name (a test's webhook endpoint)."""
    job = daily_job()
    graph = job.asset_layer.asset_graph
    assets = selection.resolve(graph) & set(job.asset_layer.executable_asset_keys)
    checks = {key for key in graph.asset_check_keys if key.asset_key in assets}
    return job.get_subset(asset_selection=assets, asset_check_selection=checks).execute_in_process(
        instance=instance,
        resources={**build_resources(settings), **(resources or {})},
        tags=range_tags(days),
        **kwargs,
    )
