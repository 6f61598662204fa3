"""The UI loads what the demo makes: a real `dagster dev` (webserver and daemon) on loopback,
over the instance a sandbox day was materialised into, answering GraphQL for the asset graph, a
partition's materialisation metadata and its check results, and running a day launched from it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import httpx
import pytest

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox import SandboxConfig, generate
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.webhook.process import free_port

from .conftest import generate_days, make_settings, run_day

# A minute of subprocesses in a few tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 18)
BACKFILL_DAYS = [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    settings = make_settings(root / "data")
    generate_days(
        settings,
        [DAY],
        SandboxConfig(seed=11, transactions_per_store_day=60, mappings_dir=settings.mappings_dir),
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert run_day(settings, instance, DAY).success

    # What Heartland holds for a backfill from its API, served on loopback by the simulator.
    holds = LandingZone(root / "heartland_holds")
    generate(
        holds, BACKFILL_DAYS, SandboxConfig(seed=12, store_count=2, transactions_per_store_day=20)
    )
    simulator = serve(HeartlandSimulator(holds.root))

    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "HL_D365_DATA_DIR": str(settings.data_dir),
        "HEARTLAND_SANDBOX_URL": simulator.base_url,
    }
    env.pop("HEARTLAND_APP_KEY", None)
    # What `make ui` runs: `dagster dev`, the webserver and the daemon that dequeues runs.
    log = (root / "dagster_dev.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "workspace.yaml",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    _DATA_DIRS[url] = settings.data_dir
    try:
        _wait_until_serving(url, server, root / "dagster_dev.log")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A run the daemon launched may still be finishing; it belongs to this test's
            # throwaway instance, so nothing is lost by not waiting for it.
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()
        simulator.stop()


_DATA_DIRS: dict[str, Path] = {}


def _data_dir_of(url: str) -> Path:
    return _DATA_DIRS[url]


def _wait_until_serving(
    url: str, server: subprocess.Popen, log: Path, timeout: float = 120.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dagster dev exited: {log.read_text()[-2000:]}")
        try:
            # the code location loads in the background: wait for the asset graph, not just the port
            serving = httpx.get(f"{url}/server_info", timeout=2).status_code == 200
            if serving and _graphql(url, "{ assetNodes { id } }")["assetNodes"]:
                return
        except (httpx.HTTPError, KeyError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"dagster-webserver did not serve {url} within {timeout}s")


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_the_asset_graph_shows_every_layer_with_groups_kinds_and_owners(webserver: str) -> None:
    nodes = _graphql(
        webserver,
        "{ assetNodes { assetKey { path } groupName kinds owners { ... on TeamAssetOwner { team } } description } }",
    )["assetNodes"]
    by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    for key, group in {
        "landing/heartland/payment_transactions": "landing",
        "raw/payment_transactions": "raw",
        "raw/settlement_batches": "raw",
        "raw/retail_tickets": "raw",
        "canonical/payments": "canonical",
        "canonical/settlement_batches": "canonical",
        "canonical/pos_sales": "canonical",
        "canonical/pos_sale_lines": "canonical",
        "canonical/pos_tenders": "canonical",
        "ops/alert_delivery": "ops",
    }.items():
        assert by_key[key]["groupName"] == group
        assert by_key[key]["description"]
    assert "duckdb" in by_key["canonical/payments"]["kinds"]
    assert {"team": "finance-data"} in by_key["raw/retail_tickets"]["owners"]


def test_a_partition_materialisation_carries_counts_schema_lineage_and_money(
    webserver: str,
) -> None:
    data = _graphql(
        webserver,
        """
        query ($day: String!) {
          assetOrError(assetKey: {path: ["canonical", "payments"]}) {
            ... on Asset {
              assetMaterializations(partitions: [$day]) {
                partition
                metadataEntries {
                  label
                  __typename
                  ... on IntMetadataEntry { intValue }
                  ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
                  ... on TableColumnLineageMetadataEntry { lineage { columnName columnDeps { assetKey { path } columnName } } }
                  ... on JsonMetadataEntry { jsonString }
                  ... on MarkdownMetadataEntry { mdStr }
                }
              }
            }
          }
        }
        """,
        {"day": DAY.isoformat()},
    )
    [materialization] = data["assetOrError"]["assetMaterializations"]
    assert materialization["partition"] == DAY.isoformat()
    entries = {e["label"]: e for e in materialization["metadataEntries"]}
    assert entries["dagster/row_count"]["intValue"] > 0
    columns = {c["name"]: c for c in entries["dagster/column_schema"]["schema"]["columns"]}
    assert columns["amount"]["type"] == "DECIMAL(18,2)"
    assert "refunds negative" in columns["amount"]["description"]
    lineage = {
        item["columnName"]: item["columnDeps"]
        for item in entries["dagster/column_lineage"]["lineage"]
    }
    assert {
        "assetKey": {"path": ["raw", "payment_transactions"]},
        "columnName": "amount",
    } in lineage["amount"]
    assert '"USD"' in entries["amounts_by_currency"]["jsonString"]
    assert entries["preview"]["mdStr"].startswith("| ")


def test_check_results_of_the_partition_are_there(webserver: str) -> None:
    query = """
        query ($path: [String!]!, $check: String!, $day: String) {
          assetCheckExecutions(assetKey: {path: $path}, checkName: $check, partition: $day, limit: 5) {
            status
            partition
            evaluation { success severity metadataEntries { label } }
          }
        }
    """
    for path, check in [
        (["raw", "payment_transactions"], "conservation"),
        (["raw", "retail_tickets"], "schema_contract"),
        (["canonical", "payments"], "schema_contract"),
        (["canonical", "pos_tenders"], "mappings_complete"),
    ]:
        executions = _graphql(
            webserver, query, {"path": path, "check": check, "day": DAY.isoformat()}
        )["assetCheckExecutions"]
        assert executions, f"no execution of {check} on {path}"
        latest = executions[0]
        assert latest["status"] in {"SUCCEEDED", "FAILED"}
        assert latest["evaluation"]["metadataEntries"]
    conservation = _graphql(
        webserver,
        query,
        {"path": ["raw", "payment_transactions"], "check": "conservation", "day": DAY.isoformat()},
    )["assetCheckExecutions"][0]
    assert conservation["evaluation"]["success"] is True


def test_a_day_launched_from_the_ui_materialises(webserver: str) -> None:
    """What a user does in the UI: launch the daily job for one partition, and it succeeds."""
    [location] = _graphql(
        webserver, "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"
    )["workspaceOrError"]["locationEntries"]
    launched = _graphql(
        webserver,
        """
        mutation ($params: ExecutionParams!) {
          launchRun(executionParams: $params) {
            __typename
            ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message }
          }
        }
        """,
        {
            "params": {
                "selector": {
                    "repositoryLocationName": location["name"],
                    "repositoryName": "__repository__",
                    "jobName": "daily_heartland_job",
                },
                "executionMetadata": {
                    "tags": [{"key": "dagster/partition", "value": DAY.isoformat()}]
                },
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 120
    status = None
    while time.monotonic() < deadline:
        status = _graphql(
            webserver,
            "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
            {"id": run_id},
        )["runOrError"]["status"]
        if status in {"SUCCESS", "FAILURE", "CANCELED"}:
            break
        time.sleep(1)
    assert status == "SUCCESS"


def test_the_running_daemon_reopens_a_day_when_a_late_segment_lands(webserver: str) -> None:
    """The landing sensor is on by default: a segment landing for a loaded day starts a run of
    that day within seconds, tagged with the segment that triggered it."""
    settings = make_settings(_data_dir_of(webserver))
    with LandingWriter(LandingZone(settings.landing_dir), "late-test") as writer:
        writer.append(
            "heartland",
            "payment_transactions",
            DAY,
            '{"event_id":"EVT_LATE_UI","event_type":"transaction.captured","payload":{}}',
        )
    late = writer.committed[-1].name

    deadline = time.monotonic() + 150
    run = None
    while time.monotonic() < deadline:
        runs = _graphql(
            webserver,
            """
            query ($filter: RunsFilter) {
              runsOrError(filter: $filter) { ... on Runs { results { runId status tags { key value } } } }
            }
            """,
            {"filter": {"tags": [{"key": "hl_d365/newest_segment", "value": late}]}},
        )["runsOrError"]["results"]
        if runs and runs[0]["status"] in {"SUCCESS", "FAILURE", "CANCELED"}:
            run = runs[0]
            break
        time.sleep(1)
    assert run is not None, "the landing sensor did not start a run for the late segment"
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert tags["dagster/partition"] == DAY.isoformat()
    assert tags["hl_d365/trigger"] == "landing_sensor"
    assert run["status"] == "SUCCESS"


def test_a_range_backfilled_from_the_ui_over_the_api_is_one_run(webserver: str) -> None:
    """What a user does to load a past month from Heartland: select the pull and everything it
    feeds, pick a partition range, launch a backfill. Single-run backfill policies make it one
    run over the range, pulling from the API (the simulator) and loading raw and canonical."""
    keys = [
        ["landing", "heartland", "payment_transactions"],
        ["landing", "heartland", "settlement_batches"],
        ["raw", "payment_transactions"],
        ["raw", "settlement_batches"],
        ["canonical", "payments"],
    ]
    launched = _graphql(
        webserver,
        """
        mutation ($params: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $params) {
            __typename
            ... on LaunchBackfillSuccess { backfillId }
            ... on PythonError { message }
          }
        }
        """,
        {
            "params": {
                "partitionNames": [day.isoformat() for day in BACKFILL_DAYS],
                "assetSelection": [{"path": key} for key in keys],
            }
        },
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    deadline = time.monotonic() + 240
    runs: list[dict] = []
    status = None
    while time.monotonic() < deadline:
        backfill = _graphql(
            webserver,
            """
            query ($id: String!) {
              partitionBackfillOrError(backfillId: $id) {
                ... on PartitionBackfill { status runs { runId status } }
              }
            }
            """,
            {"id": backfill_id},
        )["partitionBackfillOrError"]
        status, runs = backfill["status"], backfill["runs"]
        if status in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}:
            break
        time.sleep(1)
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, (status, runs)
    assert len(runs) == 1
    assert runs[0]["status"] == "SUCCESS"
