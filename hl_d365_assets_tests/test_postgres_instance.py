"""The Dagster instance on PostgreSQL (deploy/dagster-postgres.yaml, docs/postgres.md), run as
a deployment runs it: a code server (the container image's command), a real ``dagster-daemon``
and a real PostgreSQL server on loopback. A landed day reaches the daemon's landing sensor, waits
in the queued run coordinator's queue, runs, and leaves its run, event log and the sensor's tick
in PostgreSQL; two tenants' days run side by side, one run per tenant at a time."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.demo.live_day import background_process
from hl_d365_assets.demo.retail_pull import RETAIL_URL_SETTING
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.sandbox.tenant_days import SANDBOX_TENANTS_FILE, land_days
from hl_d365_assets.settings import PROJECT_ROOT, child_environment, load_settings
from hl_d365_assets.tenants import (
    TENANT_TAG,
    TENANTS_FILE_ENV,
    load_tenants,
    settings_for_tenant,
    tenant_settings,
)
from hl_d365_assets.webhook.process import free_port
from hl_d365_assets_tests.conftest import generate_days, make_settings
from hl_d365_assets_tests.postgres_server import PostgresServer, postgres_server

pytestmark = pytest.mark.schedule_first

INSTANCE_CONFIG = PROJECT_ROOT / "deploy" / "dagster-postgres.yaml"
DOCKERFILE = PROJECT_ROOT / "deploy" / "Dockerfile"
LOCATION = "hl_d365_assets"
"""The code location's name, as hl_d365_assets/dg.toml and the project's workspace.yaml give it."""
DAY = date(2026, 11, 20)
NEXT_DAY = date(2026, 11, 21)
TENANT_DAYS = {"contoso_east": [DAY, NEXT_DAY], "contoso_ca": [DAY]}
"""Two tenants' days landed at once: two of contoso_east's (its second run must wait for its
first) and one of contoso_ca's (which must not)."""
TENANT_STORES = {"contoso_east": {"S001", "S002"}, "contoso_ca": {"S004", "S005"}}
CLEAN = SandboxConfig(
    seed=5, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
)
RUN_TIMEOUT_SECONDS = 900
"""Wide: each test took two to five minutes here with the 2 cores loaded by other work (load
average 8-15); the days are small, the time is Dagster starting processes and ~80 steps a run."""
ENQUEUED = dg.DagsterEventType.RUN_ENQUEUED.value
MATERIALIZATION = dg.DagsterEventType.ASSET_MATERIALIZATION.value


@dataclass
class Deployment:
    """One Dagster deployment on PostgreSQL as docs/postgres.md and docs/kubernetes.md set it
    up: the shipped instance file in its DAGSTER_HOME, a data folder, the code location served
    by the container image's command (``dagster api grpc``, deploy/Dockerfile) and a running
    ``dagster-daemon`` reaching it through a workspace file; ``instance`` is this test process's
    view of the same instance."""

    pg: PostgresServer
    db_name: str
    home: Path
    data_dir: Path
    logs: Path
    workspace: Path
    env: dict[str, str]
    instance: dg.DagsterInstance

    def daemon_log(self) -> str:
        return (self.logs / "dagster-daemon.log").read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("postgres_deployment")
    home, data_dir, logs = root / "dagster_home", root / "data", root / "logs"
    for folder in (home, data_dir, logs):
        folder.mkdir()
    shutil.copy(INSTANCE_CONFIG, home / "dagster.yaml")
    shutil.copytree(SANDBOX_TENANTS_FILE.parent, root / "tenants")
    port = free_port()
    workspace = root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
        f"      port: {port}\n      location_name: {LOCATION}\n"
    )
    with postgres_server(root / "postgres") as pg, pytest.MonkeyPatch.context() as patch:
        db_name = pg.create_database("dagster")
        for name, value in pg.dagster_env(db_name).items():
            patch.setenv(name, value)
        patch.setenv("DAGSTER_HOME", str(home))
        env = deployment_environment(
            home, data_dir, root / "tenants" / SANDBOX_TENANTS_FILE.name, pg.dagster_env(db_name)
        )
        with dg.DagsterInstance.from_config(str(home)) as instance:
            # The instance exists (tables created) before anything starts, as after a deploy.
            groups: list[int] = []
            try:
                with background_process(
                    "code-server", code_server_command(port), logs, env=env
                ) as server:
                    groups.append(server.pid)
                    wait_until_listening(port, server, logs / "code-server.log")
                    with background_process(
                        "dagster-daemon",
                        [sys.executable, "-m", "dagster._daemon", "run", "-w", str(workspace)],
                        logs,
                        env=env,
                    ) as daemon:
                        groups.append(daemon.pid)
                        yield Deployment(
                            pg, db_name, home, data_dir, logs, workspace, env, instance
                        )
                        # Thrown away, not stopped: a graceful stop waits for the daemon's threads
                        # and the run still going (over a minute under load), and is not under test.
                        for process in (daemon, server):
                            _kill_stragglers(process.pid)
                            process.wait()
            finally:
                for pgid in groups:
                    _kill_stragglers(pgid)


def wait_until_listening(port: int, server, log: Path) -> None:
    """The code server listens once every definition has loaded (half a minute on a loaded
    machine); the daemon starts after, so its first workspace load finds the location."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while server.poll() is None and time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"the code server is not listening on {port}: {log.read_text()[-3000:]}")


def code_server_command(port: int) -> list[str]:
    """The image's CMD (deploy/Dockerfile), on loopback and a free port."""
    command = json.loads(
        next(
            line.split(maxsplit=1)[1]
            for line in DOCKERFILE.read_text().splitlines()
            if line.startswith("CMD ")
        )
    )
    command = [a if a != "0.0.0.0" else "127.0.0.1" for a in command]
    command[command.index("-p") + 1] = str(port)
    return [str(Path(sys.executable).parent / command[0]), *command[1:]]


def deployment_environment(
    home: Path, data_dir: Path, tenants_file: Path, pg_env: dict[str, str]
) -> dict[str, str]:
    """What the code server, the daemon and the runs they launch read: this test's instance, data
    folder and the sandbox's tenants (a copy; the deployment's own landing zone stays the
    implicit tenant's). The
    simulators' addresses point at a closed loopback port, so a scheduled pull the daemon may
    start meanwhile (the Retail trading pull runs every 5 minutes in trading hours) fails at once
    and lands nothing."""
    closed = f"http://127.0.0.1:{free_port()}"
    return child_environment(
        DAGSTER_HOME=str(home),
        HL_D365_DATA_DIR=str(data_dir),
        **{TENANTS_FILE_ENV: str(tenants_file)},
        **{RETAIL_URL_SETTING: f"{closed}/api"},
        HEARTLAND_SANDBOX_URL=f"{closed}/ucp",
        D365_SANDBOX_URL=closed,
        **pg_env,
    )


def _kill_stragglers(pgid: int) -> None:
    """A process group we started, after its leader stopped: a run process cut short can
    outlive it (seen here), and must not stay behind on a shared machine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def wait_for_first_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> dg.DagsterRun:
    """The first run of the deployment's own (implicit) tenant with these tags, once finished:
    the tenants' runs of the same day carry the same tags and their tenant's."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        runs = instance.get_runs(filters=dg.RunsFilter(tags=tags), ascending=True)
        own = [run for run in runs if TENANT_TAG not in run.tags]
        if own and own[0].is_finished:
            return own[0]
        time.sleep(0.5)
    raise TimeoutError(f"no run tagged {tags} finished within {RUN_TIMEOUT_SECONDS}s")


@pytest.fixture(scope="module")
def landed(deployment: Deployment) -> Deployment:
    """The deployment's own day and the two tenants' days, landed together, as a deployment
    serving several tenants receives them: the daemon runs them side by side (the per-tenant
    limit does not hold the deployment's own runs, which carry no tenant), so the daemon, the
    code server and PostgreSQL wait through one set of runs, not two. Each test reads its own."""
    generate_days(make_settings(deployment.data_dir), [DAY], CLEAN)
    settings = load_settings(deployment.env)
    tenants = load_tenants(settings)
    for number, (tenant_id, days) in enumerate(TENANT_DAYS.items()):
        own = tenant_settings(settings, tenants[tenant_id])
        # Landed beside the tenant's zone and moved in whole (one rename): the sensor sees all of
        # a tenant's days in one tick, not the gateway's segments first and the tickets later
        # (which would rightly be a second run of the day).
        staged = dataclasses.replace(own, data_dir=own.data_dir / "staged")
        land_days(
            staged,
            days,
            SandboxConfig(
                seed=number,
                transactions_per_store_day=5,
                mappings_dir=own.mappings_dir,
                defect_rates=DefectRates.none(),
            ),
        )
        staged.landing_dir.rename(own.landing_dir)
    return deployment


def test_a_landed_day_runs_from_the_daemons_landing_sensor_through_the_queue_into_postgres(
    landed: Deployment,
) -> None:
    deployment = landed
    try:
        run = wait_for_first_run(
            deployment.instance,
            {"hl_d365/trigger": "landing_sensor", "dagster/partition": str(DAY)},
        )
    except TimeoutError as late:
        raise AssertionError(f"{late}; dagster-daemon log:\n{deployment.daemon_log()}") from None

    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["dagster/sensor_name"] == "landing_sensor"

    # The same facts read straight from PostgreSQL, not through Dagster: the storage is there.
    conn = deployment.pg.connect(deployment.db_name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT status FROM runs WHERE run_id = %s", (run.run_id,))
            assert cursor.fetchall() == [("SUCCESS",)]
            cursor.execute(
                "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
                (run.run_id, ENQUEUED),
            )
            assert cursor.fetchone() == (1,), "the run went through the queued run coordinator"
            cursor.execute(
                "SELECT DISTINCT asset_key, partition FROM event_logs "
                "WHERE run_id = %s AND dagster_event_type = %s",
                (run.run_id, MATERIALIZATION),
            )
            materialised = cursor.fetchall()
            cursor.execute(
                "SELECT count(*) FROM job_ticks WHERE status = 'SUCCESS' AND tick_body LIKE %s",
                (f"%{run.run_id}%",),
            )
            assert cursor.fetchone() == (1,), "the sensor tick that requested it is stored here"
    finally:
        conn.close()
    assert ('["raw", "payment_transactions"]', str(DAY)) in materialised
    assert ('["gl", "journal_lines"]', str(DAY)) in materialised
    assert not (deployment.home / "history").exists(), "no SQLite run or event storage beside it"
    assert not (deployment.home / "schedules").exists(), "no SQLite schedule storage beside it"


def tenant_runs(instance: dg.DagsterInstance, tenant_id: str) -> list[dg.DagsterRun]:
    return list(
        instance.get_runs(
            filters=dg.RunsFilter(
                job_name="daily_heartland_job",
                tags={TENANT_TAG: tenant_id, "hl_d365/trigger": "landing_sensor"},
            ),
            ascending=True,
        )
    )


def wait_for_tenant_runs(instance: dg.DagsterInstance) -> dict[str, list[dg.DagsterRun]]:
    """Until contoso_ca's run and contoso_east's first have finished and contoso_east's second
    has started (it need not finish: what it shows is when it started)."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        runs = {tenant_id: tenant_runs(instance, tenant_id) for tenant_id in TENANT_DAYS}
        east, ca = runs["contoso_east"], runs["contoso_ca"]
        if (
            len(east) >= 2
            and ca
            and ca[0].is_finished
            and east[0].is_finished
            and east[1].status not in (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING)
        ):
            return runs
        time.sleep(0.5)
    raise TimeoutError(f"the tenants' runs did not get there within {RUN_TIMEOUT_SECONDS}s")


def test_two_tenants_runs_go_side_by_side_each_into_its_own_warehouse_one_per_tenant_at_a_time(
    landed: Deployment,
) -> None:
    deployment = landed
    settings = load_settings(deployment.env)
    try:
        runs = wait_for_tenant_runs(deployment.instance)
    except TimeoutError as late:
        raise AssertionError(f"{late}; dagster-daemon log:\n{deployment.daemon_log()}") from None

    assert [run.tags["dagster/partition"] for run in runs["contoso_east"]] == [
        str(DAY),
        str(NEXT_DAY),
    ]
    [ca] = runs["contoso_ca"]
    east_first, east_second = runs["contoso_east"]
    assert ca.status == east_first.status == dg.DagsterRunStatus.SUCCESS
    record = {
        run.run_id: deployment.instance.get_run_record_by_id(run.run_id)
        for run in (ca, east_first, east_second)
    }
    ca_at, east_at, second_at = (record[r.run_id] for r in (ca, east_first, east_second))
    assert ca_at.start_time < east_at.end_time and east_at.start_time < ca_at.end_time, (
        "the two tenants' runs did not run at the same time"
    )
    assert second_at.start_time >= east_at.end_time, "contoso_east ran two runs at once"

    for tenant_id, stores in TENANT_STORES.items():
        own = settings_for_tenant(settings, tenant_id)
        conn = duckdb.connect(str(own.read_copy_path), read_only=True)
        try:
            sold = conn.sql("SELECT DISTINCT store_id FROM canonical.payments").fetchall()
        finally:
            conn.close()
        assert {row[0] for row in sold} == stores, tenant_id

    # The tenants' runs, as PostgreSQL holds them.
    conn = deployment.pg.connect(deployment.db_name)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT r.status, t.value FROM runs AS r JOIN run_tags AS t USING (run_id) "
                "WHERE t.key = %s AND r.run_id IN (%s, %s) ORDER BY t.value",
                (TENANT_TAG, ca.run_id, east_first.run_id),
            )
            assert cursor.fetchall() == [("SUCCESS", "contoso_ca"), ("SUCCESS", "contoso_east")]
    finally:
        conn.close()
