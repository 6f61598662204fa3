"""The UI loads what the demo makes: `make ui` as a user starts it (the Makefile's own target,
`dg dev` from inside DAGSTER_HOME: webserver and daemon) on loopback, over the instance a sandbox
day was materialised into and then posted through post_journals_job while its checks hold it
back. Its log carries no warning (no code-location-name mismatch, no stray dagster.yaml, no
superseded command, no beta notices); its GraphQL answers for the asset graph, a partition's
materialisation metadata and its check results, the column lineage a user can find, and shows
the posting run as a success whose outcome says "held back: <checks>", with the checks failing
at WARN, never as a red failure; and a day launched from it, a late segment and a range
backfilled from it all run.

One UI for all of these: `make ui` and a day under it cost ~30-45 s of CPU to start, and the
quiet-log, held-back and column-lineage tests each had a UI and a day of their own (files of
their own) for what this one serves. The tests that only read come first, so the day has exactly
the materialisations the fixture made and the log is read as the UI started it, before any run
is launched from it.

Column lineage, as the UI reads it: the open-source UI draws no column-lineage graph (a Dagster+
feature) and hides the ``dagster/column_lineage`` entry; what it shows is the asset page's Columns
table, built from the definition's ``dagster/column_schema`` (``assetNode.metadataEntries``)
merged with the latest materialisation's (``assetMaterializations.metadataEntries``), the
definition's descriptions winning. So the lineage must be in those descriptions, and the stored
lineage must point at columns the upstream assets really declare.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import httpx
import pytest

from hl_d365_assets.demo.posting import SandboxD365
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.webhook.process import free_port

from .conftest import generate_days, make_settings, run_day

# A minute of subprocesses in a few tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 18)
BACKFILL_DAYS = [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]


@dataclasses.dataclass
class Ui:
    url: str
    log: Path


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    # Finance removed the Visa rule: the day's journals have lines without an account, so
    # accounts_in_chart holds the day back.
    mappings = root / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    rules = (mappings / "gl_posting_rules.csv").read_text().splitlines()
    (mappings / "gl_posting_rules.csv").write_text(
        "\n".join(line for line in rules if not line.startswith("tender,VISA,")) + "\n"
    )
    settings = dataclasses.replace(make_settings(root / "data"), mappings_dir=mappings)
    generate_days(
        settings,
        [DAY],
        SandboxConfig(seed=43, transactions_per_store_day=40, defect_rates=DefectRates.none()),
    )
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.get() as instance:
            assert run_day(settings, instance, DAY).success
        # The demo's posting, as `make demo` does it: the day posted, then posted again.
        with SandboxD365(settings) as d365:
            d365.post([DAY], lambda line: None)

    # What Heartland holds for a backfill from its API, served on loopback by the simulator.
    holds = LandingZone(root / "heartland_holds")
    generate(
        holds, BACKFILL_DAYS, SandboxConfig(seed=12, store_count=2, transactions_per_store_day=20)
    )
    simulator = serve(HeartlandSimulator(holds.root))

    port = free_port()
    log_path = root / "make_ui.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HL_D365_", "DAGSTER_"))},
        "HL_D365_DATA_DIR": str(settings.data_dir),
        "HL_D365_MAPPINGS_DIR": str(mappings),
        "HEARTLAND_SANDBOX_URL": simulator.base_url,
    }
    environment.pop("HEARTLAND_APP_KEY", None)
    with log_path.open("wb") as log:
        # -o: the venv is installed already; make must not reinstall it under the test.
        server = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "ui", f"DAGSTER_HOME={home}", f"UI_PORT={port}"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    _DATA_DIRS[url] = settings.data_dir
    try:
        _wait_until_serving(url, server, log_path)
        # Let the daemon tick the sensors and the code server answer a few times.
        time.sleep(15)
        yield Ui(url, log_path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A run the daemon launched may still be finishing; it belongs to this test's
            # throwaway instance, so nothing is lost by not waiting for it.
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        simulator.stop()


@pytest.fixture(scope="module")
def webserver(ui: Ui) -> str:
    return ui.url


_DATA_DIRS: dict[str, Path] = {}


def _data_dir_of(url: str) -> Path:
    return _DATA_DIRS[url]


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"make ui exited: {log.read_text()[-2000:]}")
        try:
            # the code location loads in the background: wait for the asset graph, not the port
            if _graphql(url, "{ assetNodes { id } }")["assetNodes"]:
                return
        except (httpx.HTTPError, KeyError, AssertionError):
            pass
        time.sleep(1)
    raise TimeoutError(f"make ui did not serve {url}: {log.read_text()[-2000:]}")


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_make_ui_logs_no_warning(ui: Ui) -> None:
    text = ui.log.read_text()
    assert "Serving dagster-webserver" in text
    warnings = [line for line in text.splitlines() if re.search(r"warn", line, re.IGNORECASE)]
    assert warnings == []
    [location] = _graphql(
        ui.url, "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"
    )["workspaceOrError"]["locationEntries"]
    assert location["name"] == "hl_d365_assets"


def test_a_held_back_day_reads_as_held_back_not_failed(ui: Ui) -> None:
    # The demo's posting, as `make demo` does it: the day posted, then posted again.
    runs = _graphql(
        ui.url,
        '{ runsOrError(filter: {pipelineName: "post_journals_job"}) '
        "{ ... on Runs { results { runId status } } } }",
    )["runsOrError"]["results"]
    assert [run["status"] for run in runs] == ["SUCCESS", "SUCCESS"]

    node = _graphql(
        ui.url,
        """query($key: AssetKeyInput!, $day: String!) { assetNodeOrError(assetKey: $key) {
          ... on AssetNode {
            assetMaterializations(partitions: [$day]) {
              runId metadataEntries { label ... on TextMetadataEntry { text } } }
            assetPartitionStatuses { ... on TimePartitionStatuses {
              ranges { startKey endKey status } } } } } }""",
        {"key": {"path": ["gl", "postings"]}, "day": DAY.isoformat()},
    )["assetNodeOrError"]
    materializations = node["assetMaterializations"]
    assert {m["runId"] for m in materializations} == {run["runId"] for run in runs}
    for materialization in materializations:
        entries = {e["label"]: e.get("text") for e in materialization["metadataEntries"]}
        assert entries["outcome"].startswith("held back: accounts_in_chart (")
    assert node["assetPartitionStatuses"]["ranges"] == [
        {"startKey": DAY.isoformat(), "endKey": DAY.isoformat(), "status": "MATERIALIZED"}
    ]

    checks = _graphql(
        ui.url,
        """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
          assetChecksOrError { ... on AssetChecks { checks { name
            executionForLatestMaterialization { status evaluation { severity } } } } } } } }""",
        {"key": {"path": ["gl", "journal_lines"]}},
    )["assetNodeOrError"]["assetChecksOrError"]["checks"]
    executions = {c["name"]: c["executionForLatestMaterialization"] for c in checks}
    assert executions["accounts_in_chart"]["status"] == "FAILED"
    assert {e["evaluation"]["severity"] for e in executions.values()} == {"WARN"}


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


# --- column lineage, as the asset page's Columns table reads it ------------------------------------

# "[canonical.pos_tenders](/assets/canonical/pos_tenders) amount, tip_amount": a table's link
# and the columns named in it.
LINK = re.compile(r"\[(\w+)\.(\w+)\]\(/assets/(\w+)/(\w+)\) (\w+(?:, \w+)*)")

ASSET_NODES = """
{
  assetNodes {
    assetKey { path }
    dependencyKeys { path }
    metadataEntries {
      label
      __typename
      ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
      ... on TableColumnLineageMetadataEntry {
        lineage { columnName columnDeps { assetKey { path } columnName } }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def asset_nodes(webserver: str) -> dict[str, dict]:
    """Each asset's definition metadata by key ("gl/journal_lines"), as the asset page loads it."""
    return {
        "/".join(node["assetKey"]["path"]): {
            "deps": {"/".join(dep["path"]) for dep in node["dependencyKeys"]},
            "schema": _schema(node["metadataEntries"]),
            "lineage": _lineage(node["metadataEntries"]),
        }
        for node in _graphql(webserver, ASSET_NODES)["assetNodes"]
    }


def test_the_columns_table_of_journal_lines_says_where_each_amount_comes_from(
    asset_nodes: dict[str, dict],
) -> None:
    journal_lines = asset_nodes["gl/journal_lines"]
    amount = journal_lines["schema"]["amount"]
    assert amount["type"] == "DECIMAL(18,2)"
    assert amount["description"].startswith("Net amount in transaction currency")
    assert "Source:" not in amount["description"]
    assert (
        "[gl.journal_line_sources](/assets/gl/journal_line_sources) amount"
        in (amount["description"])
    )
    assert {"asset": "gl/journal_line_sources", "column": "amount"} in (
        journal_lines["lineage"]["amount"]
    )
    # One step up, the line's sources name the canonical records, and those their raw events.
    source_amount = asset_nodes["gl/journal_line_sources"]["schema"]["amount"]["description"]
    assert (
        "[canonical.pos_tenders](/assets/canonical/pos_tenders) amount, tip_amount" in source_amount
    )
    tender_amount = asset_nodes["canonical/pos_tenders"]["schema"]["amount"]["description"]
    assert "[raw.retail_tickets](/assets/raw/retail_tickets) payments" in tender_amount


def test_a_column_names_the_columns_computed_from_it(asset_nodes: dict[str, dict]) -> None:
    """Downstream too: an accountant looking at a tender's amount sees what it feeds."""
    tender_amount = asset_nodes["canonical/pos_tenders"]["schema"]["amount"]["description"]
    into = tender_amount[tender_amount.index("⬇ into") :]
    assert "[gl.journal_line_sources](/assets/gl/journal_line_sources) amount" in into
    assert "[recon.tenders_vs_gateway](/assets/recon/tenders_vs_gateway) tender_amount" in into


def test_every_lineage_dep_is_a_declared_column_of_an_upstream_asset(
    asset_nodes: dict[str, dict],
) -> None:
    """A dep naming a column its asset does not have, or an asset the table is not built from,
    would send the reader to a column that is not there."""
    checked = 0
    for key, node in asset_nodes.items():
        for column, deps in node["lineage"].items():
            assert column in node["schema"], f"{key}: lineage for unknown column {column}"
            for dep in deps:
                assert dep["asset"] in node["deps"], f"{key}.{column}: {dep} is not upstream"
                upstream = asset_nodes[dep["asset"]]["schema"]
                assert dep["column"] in upstream, f"{key}.{column}: {dep} has no such column"
                checked += 1
    assert checked > 150
    tables = [key for key, node in asset_nodes.items() if node["lineage"]]
    assert {
        "canonical/payments",
        "canonical/pos_tenders",
        "recon/tenders_vs_gateway",
        "gl/journal_line_sources",
        "gl/journal_lines",
    } <= set(tables)


def test_every_lineage_link_in_a_description_opens_an_asset_with_that_column(
    asset_nodes: dict[str, dict],
) -> None:
    links = 0
    for key, node in asset_nodes.items():
        for column in node["schema"].values():
            for schema, table, *path, names in LINK.findall(column["description"] or ""):
                assert path == [schema, table], column["description"]
                target = asset_nodes.get(f"{schema}/{table}")
                assert target is not None, f"{key}.{column['name']} links to no asset"
                for name in names.split(", "):
                    assert name in target["schema"], f"{key}.{column['name']} links to {name}"
                    links += 1
    assert links > 300  # both directions


def test_the_days_materialisation_stores_schema_and_lineage_for_journal_lines(
    webserver: str,
) -> None:
    """What Dagster+ draws its column graph from, and what the UI merges with the definition."""
    data = _graphql(
        webserver,
        """
        query ($day: String!) {
          assetNodes(assetKeys: [{path: ["gl", "journal_lines"]}]) {
            assetMaterializations(partitions: [$day]) {
              partition
              metadataEntries {
                label
                __typename
                ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
                ... on TableColumnLineageMetadataEntry {
                  lineage { columnName columnDeps { assetKey { path } columnName } }
                }
                ... on IntMetadataEntry { intValue }
              }
            }
          }
        }
        """,
        {"day": DAY.isoformat()},
    )
    [node] = data["assetNodes"]
    [materialization] = node["assetMaterializations"]
    entries = materialization["metadataEntries"]
    assert {e["label"]: e for e in entries}["dagster/row_count"]["intValue"] > 0
    assert _schema(entries)["base_amount"]["type"] == "DECIMAL(18,2)"
    lineage = _lineage(entries)
    assert lineage["source_count"] == [{"asset": "gl/journal_line_sources", "column": "line_key"}]
    assert {"asset": "canonical/payments", "column": "currency"} in lineage["currency"]


def _schema(entries: list[dict]) -> dict[str, dict]:
    schema = next((e for e in entries if e["label"] == "dagster/column_schema"), None)
    return {c["name"]: c for c in schema["schema"]["columns"]} if schema else {}


def _lineage(entries: list[dict]) -> dict[str, list[dict]]:
    lineage = next((e for e in entries if e["label"] == "dagster/column_lineage"), None)
    if lineage is None:
        return {}
    assert lineage["__typename"] == "TableColumnLineageMetadataEntry"
    return {
        item["columnName"]: [
            {"asset": "/".join(dep["assetKey"]["path"]), "column": dep["columnName"]}
            for dep in item["columnDeps"]
        ]
        for item in lineage["lineage"]
    }


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
