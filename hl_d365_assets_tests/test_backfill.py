"""Backfills as a user types them: `hl-d365 backfill` and the Dagster command lines that
docs/ingestion.md prints, each run as a real process against a real instance and warehouse."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets import backfill
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.webhook.process import free_port

from .conftest import generate_days, make_settings
from .test_import_boundary import PRODUCTION_ENV

# A minute of subprocesses in a few tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAYS = [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
"""The range docs/ingestion.md's commands name."""
SMALL = SandboxConfig(
    seed=31, store_count=2, transactions_per_store_day=20, defect_rates=DefectRates.none()
)
WARNINGS = re.compile(r"warn", re.IGNORECASE)
HL_D365 = str(Path(sys.executable).parent / "hl-d365")


def _environment(root: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HL_D365_", "HEARTLAND_", "D365_", "DAGSTER_"))
    }
    return {
        **env,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "HL_D365_DATA_DIR": str(root / "data"),
        **extra,
    }


def _runs(home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return list(instance.get_runs())


def _rows_per_day(data_dir: Path, table: str) -> dict[date, int]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return dict(
            conn.execute(f"SELECT business_date, count(*) FROM {table} GROUP BY ALL").fetchall()
        )


def test_backfill_from_the_landing_zone_is_one_run_in_the_instance_through_recon_and_gl(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "data")
    generate_days(settings, DAYS, SMALL)
    done = subprocess.run(
        [HL_D365, "backfill", "--from", "2026-10-01", "--to", "2026-10-03"],
        env=_environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = _runs(tmp_path / "dagster_home")
    assert run.job_name == "daily_heartland_job"
    assert run.tags["dagster/asset_partition_range_start"] == "2026-10-01"
    assert run.tags["dagster/asset_partition_range_end"] == "2026-10-03"
    assert (tmp_path / "dagster_home" / "dagster.yaml").read_text() == (
        PROJECT_ROOT / "dagster.yaml"
    ).read_text()
    for table in ("recon.settlement_vs_transactions", "gl.journal_lines"):
        assert set(_rows_per_day(settings.data_dir, table)) == set(DAYS), table
    # progress, then one summary line per day with its journals
    assert "general_ledger done" in done.stdout
    for day in DAYS:
        [line] = [row for row in done.stdout.splitlines() if row.startswith(day.isoformat())]
        assert re.match(rf"{day}\s+\d+\s+\d+\s+0\s+0\s+\d+/0\s", line), line
    assert not WARNINGS.search(done.stderr), done.stderr


def test_api_backfill_in_the_sandbox_starts_the_simulators_it_needs_and_pulls_the_pos_first(
    tmp_path: Path,
) -> None:
    """Nothing listens where the sandbox expects the Heartland and Heartland Retail simulators:
    the command starts both, pulls Heartland Retail (POS tickets) in a run of its own, then
    backfills the days from the gateway API through the ledger, POS sales included."""
    settings = make_settings(tmp_path / "data")
    sandbox = settings.data_dir / "sandbox"
    generate(
        LandingZone(sandbox / "heartland_holds"),
        DAYS[:2],
        SMALL,
        retail_store_dir=sandbox / "heartland_retail",
    )
    nowhere = f"http://127.0.0.1:{free_port()}/ucp"
    retail_nowhere = f"http://127.0.0.1:{free_port()}/api"
    done = subprocess.run(
        [HL_D365, "backfill", "--from", "2026-10-01", "--to", "2026-10-02", "--source", "api"],
        env=_environment(
            tmp_path, HEARTLAND_SANDBOX_URL=nowhere, HEARTLAND_RETAIL_SANDBOX_URL=retail_nowhere
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"no Heartland simulator listening at {nowhere}: started one" in done.stdout
    assert (
        f"no Heartland Retail simulator listening at {retail_nowhere}: started one" in done.stdout
    )
    assert "generated" not in done.stdout  # it held both days already
    runs = _runs(tmp_path / "dagster_home")[::-1]  # the instance lists the newest first
    assert [(run.job_name, run.status) for run in runs] == [
        ("heartland_retail_pull_job", dg.DagsterRunStatus.SUCCESS),
        ("heartland_backfill_job", dg.DagsterRunStatus.SUCCESS),
    ]
    assert set(_rows_per_day(settings.data_dir, "raw.payment_transactions")) == set(DAYS[:2])
    assert set(_rows_per_day(settings.data_dir, "raw.retail_tickets")) == set(DAYS[:2])
    assert set(_rows_per_day(settings.data_dir, "canonical.pos_sales")) == set(DAYS[:2])
    assert set(_rows_per_day(settings.data_dir, "gl.journal_lines")) == set(DAYS[:2])


def test_api_backfill_in_production_names_the_host_it_cannot_reach(tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [HL_D365, "backfill", "--from", "2026-10-01", "--to", "2026-10-02", "--source", "api"],
        env=_environment(
            tmp_path, **{**PRODUCTION_ENV, "HEARTLAND_API_URL": f"https://127.0.0.1:{port}/ucp"}
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"cannot reach the Heartland API at 127.0.0.1:{port}" in done.stderr
    assert "HEARTLAND_API_URL" in done.stderr
    assert not (tmp_path / "dagster_home").exists()  # nothing ran


def test_without_dagster_home_the_project_instance_is_used_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "PROJECT_DAGSTER_HOME", tmp_path / ".dagster_home")
    said: list[str] = []
    with backfill.project_instance(make_settings(tmp_path / "data"), said.append) as instance:
        assert Path(instance.root_directory) == tmp_path / ".dagster_home"
    assert said[0].startswith(f"DAGSTER_HOME is not set: using the project's instance {tmp_path}")
    assert (tmp_path / ".dagster_home" / "dagster.yaml").exists()


def _documented_dagster_commands() -> str:
    """The shell block of docs/ingestion.md that runs a backfill with Dagster's own CLI."""
    text = (PROJECT_ROOT / "docs" / "ingestion.md").read_text()
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if "dg launch" in b]
    return block


def test_the_documented_dagster_command_lines_backfill_into_the_instance(tmp_path: Path) -> None:
    """docs/ingestion.md's block, run as written from the project folder: both commands are one
    run each over the range, in $DAGSTER_HOME, and rebuild recon and gl."""
    block = _documented_dagster_commands()
    assert ".venv/bin/dg launch" in block and ".venv/bin/dagster asset materialize" in block
    settings = make_settings(tmp_path / "data")
    generate_days(settings, DAYS, SMALL)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    # The docs say `.venv/bin/`: point it at this interpreter's environment, wherever it is.
    script = block.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=_environment(tmp_path),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = _runs(home)
    assert len(runs) == 2
    for run in runs:
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/asset_partition_range_start"] == "2026-10-01"
        assert run.tags["dagster/asset_partition_range_end"] == "2026-10-03"
    for table in ("recon.settlement_vs_transactions", "gl.journal_lines"):
        assert set(_rows_per_day(settings.data_dir, table)) == set(DAYS), table
