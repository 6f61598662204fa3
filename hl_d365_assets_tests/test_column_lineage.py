"""Column lineage a user can find: what the webserver serves for an asset's columns, read through
the same GraphQL fields the UI reads.

The open-source UI draws no column-lineage graph (a Dagster+ feature) and hides the
``dagster/column_lineage`` entry; what it shows is the asset page's Columns table, built from the
definition's ``dagster/column_schema`` (``assetNode.metadataEntries``) merged with the latest
materialisation's (``assetMaterializations.metadataEntries``), the definition's descriptions
winning. So the lineage must be in those descriptions, and the stored lineage must point at
columns the upstream assets really declare.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pytest

from hl_d365_assets.sandbox import SandboxConfig
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.webhook.process import free_port

from .conftest import generate_days, make_settings, run_day
from .test_webserver import _graphql, _wait_until_serving

# A minute of subprocesses in a few tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 18)
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
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The UI's server (no daemon: nothing here launches runs) over an instance holding one
    materialised sandbox day."""
    root = tmp_path_factory.mktemp("lineage")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    settings = make_settings(root / "data")
    generate_days(
        settings,
        [DAY],
        SandboxConfig(
            seed=7, store_count=2, transactions_per_store_day=20, mappings_dir=settings.mappings_dir
        ),
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert run_day(settings, instance, DAY).success

    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "HL_D365_DATA_DIR": str(settings.data_dir)}
    log_path = root / "webserver.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster_webserver",
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
        try:
            _wait_until_serving(url, server, log_path)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


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
