"""`make ui` as a user starts it: quiet, and a day held back by its checks reads as held back.

The UI is the Makefile's own `ui` target (`dg dev` from inside DAGSTER_HOME) over an instance
holding a day loaded through the daily job and then posted through post_journals_job while
its checks hold it back. Its log must carry no warning (no code-location-name mismatch, no
stray dagster.yaml, no superseded command, no beta notices), and its GraphQL — what the asset,
partition and runs views read — must show the posting run as a success whose outcome says
"held back: <checks>", with the checks failing at WARN, never as a red failure.
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
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.webhook.process import free_port

from .conftest import generate_days, make_settings, run_range

# A minute of subprocesses in a few tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 4)


@dataclasses.dataclass
class Ui:
    url: str
    log: Path


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    root = tmp_path_factory.mktemp("ui_quiet")
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
            assert run_range(settings, instance, [DAY]).success
        with SandboxD365(settings) as d365:
            d365.post([DAY], lambda line: None)

    port = free_port()
    log_path = root / "make_ui.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HL_D365_", "DAGSTER_"))},
        "HL_D365_DATA_DIR": str(settings.data_dir),
        "HL_D365_MAPPINGS_DIR": str(mappings),
    }
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
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"make ui exited: {log.read_text()[-2000:]}")
        try:
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
