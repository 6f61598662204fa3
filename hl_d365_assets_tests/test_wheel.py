"""A wheel that runs: built from pyproject.toml, installed (not editable) into a fresh virtual
environment, and one sandbox day materialised from it in a folder outside the checkout.

The SQL, the mappings, the sandbox's SQL and the D365 seed ship in the package and are found
through importlib.resources; a file found through the checkout instead would make this test
fail, because the source tree is not importable from the run's working directory.
About half a minute: the locked dependencies come from uv's cache (or the registry).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.settings import PRODUCTION_REQUIRED, PROJECT_ROOT

# A minute of subprocesses in a few tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = "2026-11-20"
UV = Path(sys.executable).parent / "uv"
"""The uv `make install` puts beside the project's Python (pinned in the Makefile)."""
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", ".dagster_home",
    "data", "bench_data", "build", "dist",
)  # fmt: skip
"""What a clean clone does not hold (git ignores it): state, caches and build output."""


def _run(command: list[str | Path], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`uv build`: the sdist, then the wheel from the unpacked sdist, so the sdist is shown to
    be complete too. The locked setuptools builds it. Built from a copy of the checkout: the
    sdist step rewrites ``hl_d365_assets.egg-info``, whose entry points the tests running
    beside this one on the other xdist worker read (defs/resources.py finds the wiring there)."""
    source = tmp_path_factory.mktemp("checkout") / "hl_d365_assets"
    shutil.copytree(PROJECT_ROOT, source, ignore=_NOT_SOURCE)
    dist = tmp_path_factory.mktemp("dist")
    build = [UV, "build", "--quiet", "--no-build-isolation", "--python", sys.executable]
    _run([*build, "--out-dir", dist, source], cwd=source)
    (built,) = dist.glob("hl_d365_assets-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh environment: the locked dependencies, then the wheel alone (``--no-deps``)."""
    root = tmp_path_factory.mktemp("venv") / "env"
    _run([UV, "venv", "--quiet", "--python", sys.executable, root])
    python = root / "bin" / "python"
    _run([UV, "pip", "sync", "--quiet", "--python", python, PROJECT_ROOT / "requirements.lock"])
    _run([UV, "pip", "install", "--quiet", "--python", python, "--no-deps", wheel])
    return root


def _source_files(folder: Path, pattern: str) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob(pattern)}


def test_the_wheel_carries_every_package_sql_mapping_and_seed_file(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    package = PROJECT_ROOT / "hl_d365_assets"
    expected = {
        **{f"hl_d365_assets/{name}": name for name in _source_files(package, "*.py")},
        **{
            f"hl_d365_assets/sql/{name}": name
            for name in _source_files(PROJECT_ROOT / "sql", "*.sql")
        },
        **{
            f"hl_d365_assets/mappings/{name}": name
            for name in _source_files(PROJECT_ROOT / "mappings", "*.csv")
        },
        **{
            f"hl_d365_assets/sandbox/{name}": name
            for name in _source_files(package / "sandbox", "*.sql")
            | _source_files(package / "sandbox", "*.csv")
        },
    }
    missing = sorted(path for path in expected if path not in shipped)
    assert missing == [], (
        "missing from the wheel (a new package goes into [tool.setuptools] packages in "
        f"pyproject.toml): {missing}"
    )
    assert not [name for name in shipped if name.startswith("hl_d365_assets_tests/")]


def test_one_sandbox_day_materialises_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "outside_the_checkout"
    run_dir.mkdir()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    data_dir = tmp_path / "data"
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in PRODUCTION_REQUIRED
        and not name.startswith(("HL_D365_", "PYTHON", "VIRTUAL_ENV", "DAGSTER_"))
    }
    env = {
        **inherited,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "DAGSTER_HOME": str(home),
        "HL_D365_DATA_DIR": str(data_dir),
    }
    bin_dir = venv / "bin"

    _run(
        [bin_dir / "hl-d365", "sandbox", "--start", DAY, "--stores", "1", "--per-store", "20"],
        cwd=run_dir,
        env=env,
    )
    # The day's POS tickets come from the Heartland Retail store the sandbox wrote, pulled by the
    # real pull against the Retail simulator (in process), as the demo does over loopback. The
    # same interpreter first says where the package, its mappings and the D365 seed were found
    # (one start of the installed package, not two: each costs seconds of imports).
    located = _run(
        [
            bin_dir / "python",
            "-c",
            "import json, hl_d365_assets\n"
            "from datetime import date\n"
            "from hl_d365_assets.landing import LandingZone\n"
            "from hl_d365_assets.sandbox.d365_simulator.seed import read_seed\n"
            "from hl_d365_assets.sandbox.retail_landing import land_retail_store\n"
            "from hl_d365_assets.settings import load_settings\n"
            "s = load_settings()\n"
            "print(json.dumps({'package': hl_d365_assets.__file__,"
            " 'mappings': str(s.mappings_dir),"
            " 'seed': {k: len(v) for k, v in read_seed().items()}}), flush=True)\n"
            "land_retail_store(LandingZone(s.landing_dir), s.data_dir / 'sandbox' / 'heartland_retail',"
            f" mappings_dir=s.mappings_dir, merchant_timezone=s.merchant_timezone,"
            f" snapshot_day=date.fromisoformat('{DAY}'))",
        ],
        cwd=run_dir,
        env=env,
    )
    where = json.loads(located.stdout.splitlines()[0])
    site_packages = str(venv / "lib")
    assert where["package"].startswith(site_packages), where
    assert where["mappings"].startswith(site_packages), where
    assert where["seed"]["MainAccounts"] > 0 and where["seed"]["SalesOrderHeadersV2"] > 0
    _run(
        [
            bin_dir / "dagster",
            "job",
            "execute",
            "-m",
            "hl_d365_assets.definitions",
            "-a",
            "defs",
            "-j",
            "daily_heartland_job",
            "--tags",
            json.dumps({"dagster/partition": DAY}),
        ],
        cwd=run_dir,
        env=env,
    )

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as warehouse:
        counts = {
            table: warehouse.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("raw.payment_transactions", "canonical.payments", "canonical.pos_tenders")
        }
    assert all(count > 0 for count in counts.values()), counts
    assert (data_dir / "warehouse_read.duckdb").exists()
