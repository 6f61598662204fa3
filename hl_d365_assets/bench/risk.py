"""`hl-d365 bench --part risk` (issue 18, "Measured"): scoring the 1,000,000-transaction day with
its 28-day window in under 20 s, peak memory under 3 GB.

Outside the measurement: the pipeline bench's day (the sandbox's 1,000,000 gateway transactions
and their settlement batches, landed and loaded through raw and canonical by the daily job, in a
child process), its canonical rows copied to the 28 days before it (ids suffixed, times shifted:
sql/reports/bench_risk_history.sql), the features of the day before written by the feature files
and copied to the rest of the window (sql/reports/bench_risk_history_features.sql: the model's
training window and the history features read; its payments bins, risk.payment_day_bins, likewise).
POS tickets are not in the pipeline bench's day
(bench/pipeline.py says why), so the POS features see none here.

Measured, in one child process (``python -m hl_d365_assets.bench.risk --run FOLDER``) so its
peak memory is its own: what the three risk assets do for the day - the mappings loaded, every
domain's features file over the day and its window, the rules and the per-merchant models into
risk.scores, risk.alerts with their review rows. Per step: wall and CPU time (CPU over wall above
1: DuckDB's and the model's threads; below: waiting, on a machine others share), the peak
resident memory during the step (sampled) and what DuckDB spilled to disk.

DuckDB runs under a memory limit (MEMORY_LIMIT, spilling to a folder beside the warehouse), as a
deployment sets it in the warehouse resource's ``connection_config``: without one, DuckDB keeps
every block it read in its buffer pool up to 80 % of the machine, and 28 days of a million
transactions a day outgrow a shared machine (the first 1,000,000-transaction run died so).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from hl_d365_assets.bench.peak_memory import peak_rss_mib
from hl_d365_assets.bench.pipeline import BENCH_DAY, STORES, bench_settings
from hl_d365_assets.settings import PROJECT_ROOT, Settings

TARGET_SECONDS = 20.0
TARGET_MIB = 3 * 1024
MEMORY_LIMIT = "2GB"
"""DuckDB's memory limit in the measured child: the rest of the 3 GB target is Python, numpy and
the models."""
DATA_DIR = PROJECT_ROOT / "bench_data_risk"
HANDED_OVER = PROJECT_ROOT / "bench_data_day.duckdb"
"""Where ``hl-d365 bench`` has the pipeline part leave its loaded day for this part."""


def _connect(folder: Path):
    import duckdb

    settings = dataclasses.replace(bench_settings(), data_dir=folder)
    return settings, duckdb.connect(
        str(settings.warehouse_path),
        config={
            "preserve_insertion_order": False,
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(folder / "duckdb_spill"),
        },
    )


def prepare(folder: Path) -> dict:
    """Outside the measurement: the window's canonical rows and features."""
    from hl_d365_assets.ref_tables import load_mappings
    from hl_d365_assets.risk.config import read_risk_settings
    from hl_d365_assets.risk.scoring import write_features
    from hl_d365_assets.warehouse import run_script, sql_file, transaction

    settings, conn = _connect(folder)
    with conn:
        with transaction(conn):
            load_mappings(conn, settings.mappings_dir)
            risk = read_risk_settings(conn)
            run_script(
                conn,
                sql_file("reports/bench_risk_history.sql"),
                {"day": BENCH_DAY, "window_days": risk.window_days},
            )
        before = BENCH_DAY - timedelta(days=1)
        with transaction(conn):
            write_features(conn, before, before, risk)
        with transaction(conn):
            run_script(
                conn,
                sql_file("reports/bench_risk_history_features.sql"),
                {"day": BENCH_DAY, "window_days": risk.window_days},
            )
        counts = conn.execute(
            sql_file("reports/bench_risk_window.sql"), {"day": BENCH_DAY}
        ).fetchone()
    return {"payments": counts[0], "window_feature_rows": counts[1]}


class PeakMemory:
    """Resident memory of this process, sampled every few milliseconds in a thread: the peak of
    each step, where getrusage only knows the peak of the whole process."""

    def __init__(self, every_seconds: float = 0.01) -> None:
        self._every = every_seconds
        self._peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        self._peak_kib = self._rss_kib()

    def peak_mib(self) -> int:
        return round(max(self._peak_kib, self._rss_kib()) / 1024)

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            self._peak_kib = max(self._peak_kib, self._rss_kib())

    @staticmethod
    def _rss_kib() -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def measure(folder: Path) -> dict:
    """The measured part, in this process (the child): what the risk assets do for the day."""
    from hl_d365_assets.ref_tables import load_mappings
    from hl_d365_assets.risk.config import read_risk_settings
    from hl_d365_assets.risk.scoring import write_alerts, write_features, write_scores
    from hl_d365_assets.warehouse import sql_file, transaction

    settings, conn = _connect(folder)
    steps: dict[str, dict] = {}
    with PeakMemory() as memory, conn:

        @contextmanager
        def step(name: str) -> Iterator[None]:
            memory.reset()
            wall, cpu = time.perf_counter(), time.process_time()
            with transaction(conn):
                yield
            spilled = conn.execute(
                "SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()"
            ).fetchone()[0]
            steps[name] = {
                "seconds": time.perf_counter() - wall,
                "cpu_seconds": time.process_time() - cpu,
                "peak_mib": memory.peak_mib(),
                "spilled_mib": round(spilled / 2**20),
            }

        started = time.perf_counter()
        with step("mappings"):
            load_mappings(conn, settings.mappings_dir)
            risk = read_risk_settings(conn)
        with step("features"):
            outcome = write_features(conn, BENCH_DAY, BENCH_DAY, risk)
        with step("scores"):
            models = write_scores(conn, BENCH_DAY, BENCH_DAY, risk)
        with step("alerts"):
            write_alerts(conn, BENCH_DAY, BENCH_DAY, risk, "bench")
        total = time.perf_counter() - started
        scored, feature_rows, alert_count, by_pattern = conn.execute(
            sql_file("reports/bench_risk_day.sql"), {"day": BENCH_DAY}
        ).fetchone()
    return {
        "steps": steps,
        "features_by_domain": outcome.seconds_by_domain,
        "model_seconds": sum(m.seconds for m in models),
        "total_seconds": total,
        "cpu_seconds": sum(s["cpu_seconds"] for s in steps.values()),
        "scored_entities": scored,
        "feature_rows": feature_rows,
        "alerts": alert_count,
        "alerts_by_pattern": by_pattern or "none",
        "missing_feature_files": outcome.missing_files,
        "model_groups_trained": sum(m.trained for m in models),
        "model_training_rows": sum(m.training_rows for m in models),
        "peak_mib": round(peak_rss_mib()),
    }


def _child(mode: str, folder: Path) -> dict | None:
    """This module in a child process; its last line of output, the figures, or None."""
    stdout = _run_module("hl_d365_assets.bench.risk", mode, str(folder))
    return None if stdout is None else json.loads(stdout.strip().splitlines()[-1])


def _run_module(module: str, *args: str) -> str | None:
    """``python -m module args`` in a child; its output, or None after printing why it failed."""
    child = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=False
    )
    if child.returncode != 0:
        print(child.stdout[-4000:] + child.stderr[-4000:], flush=True)
        return None
    return child.stdout


def run_risk_bench(
    transactions: int = 1_000_000,
    keep: bool = False,
    reuse: bool = False,
    loaded: Path | None = None,
) -> int:
    """Generate and load (not timed), measure in a child, print; 1 when a target is missed.

    ``reuse``: measure again on the window an earlier ``--keep`` run prepared, and keep it: the
    preparation of a million-transaction window takes longer than the measurement by two orders
    of magnitude (26 min on the shared machine), and the measured step replaces exactly the
    day's rows, so a re-measurement starts from the state the first one did.

    ``loaded``: the warehouse of the pipeline part's run of the same day (``hl-d365 bench``
    runs both), loaded by the same child the preparation would start, so its day is not
    generated and loaded a second time (about two minutes on a quiet machine)."""
    if reuse:
        if not (DATA_DIR / "prepared.json").is_file():
            print(f"  {DATA_DIR} holds no prepared window: run once with --keep first", flush=True)
            return 1
        prepared = json.loads((DATA_DIR / "prepared.json").read_text())
        print(
            f"risk benchmark (issue 18): {BENCH_DAY}, re-measured on the kept window in "
            f"{DATA_DIR}: {prepared['payments']:,} gateway transactions, "
            f"{prepared['window_feature_rows']:,} window feature rows",
            flush=True,
        )
        figures = _child("--run", DATA_DIR)
        return 1 if figures is None else _report(figures)
    return _prepare_and_measure(transactions, keep, loaded)


def _prepare_and_measure(transactions: int, keep: bool, loaded: Path | None) -> int:
    settings = dataclasses.replace(bench_settings(), data_dir=DATA_DIR)
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    try:
        started = time.perf_counter()
        per_store = -(-transactions // STORES)
        print(
            f"risk benchmark (issue 18): {BENCH_DAY}, {STORES} stores × {per_store:,} gateway "
            "transactions, scored against its 28-day window",
            flush=True,
        )
        reused = loaded is not None and loaded.is_file()
        if reused:
            settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(loaded, settings.warehouse_path)
            print("  the pipeline part's day, loaded by its last repeat, reused", flush=True)
        elif not _generate_and_load(settings, per_store):
            return 1
        prepared = _child("--prepare", DATA_DIR)
        if prepared is None:
            return 1
        (DATA_DIR / "prepared.json").write_text(json.dumps(prepared))
        print(
            f"  {'copied' if reused else 'generated, loaded and copied'} to the window: "
            f"{prepared['payments']:,} gateway "
            f"transactions, {prepared['window_feature_rows']:,} window feature rows, in "
            f"{time.perf_counter() - started:.0f} s (not timed)",
            flush=True,
        )
        figures = _child("--run", DATA_DIR)
        if figures is None:
            return 1
    finally:
        if not keep:
            shutil.rmtree(DATA_DIR, ignore_errors=True)
    return _report(figures)


def _generate_and_load(settings: Settings, per_store: int) -> bool:
    """The pipeline bench's day generated and loaded by its own child (not timed)."""
    from hl_d365_assets.landing import LandingZone
    from hl_d365_assets.sandbox import SandboxConfig, generate

    generate(
        LandingZone(settings.landing_dir),
        [BENCH_DAY],
        SandboxConfig(
            store_count=STORES,
            transactions_per_store_day=per_store,
            mappings_dir=settings.mappings_dir,
        ),
        ground_truth_path=DATA_DIR / "sandbox" / "ground_truth.ndjson",
    )
    return _run_module("hl_d365_assets.bench.pipeline", "--run", str(DATA_DIR)) is not None


def _report(figures: dict) -> int:
    if figures["missing_feature_files"]:
        print(
            "  features files not in this build: " + ", ".join(figures["missing_feature_files"]),
            flush=True,
        )
    print(
        f"  {'step':<22} {'wall s':>7} {'cpu s':>7} {'peak MiB':>9} {'spilled MiB':>12}",
        flush=True,
    )
    for name, part in figures["steps"].items():
        print(
            f"  {name:<22} {part['seconds']:>7.2f} {part['cpu_seconds']:>7.2f} "
            f"{part['peak_mib']:>9,} {part['spilled_mib']:>12,}",
            flush=True,
        )
        if name == "features":
            for domain, seconds in figures["features_by_domain"].items():
                print(f"    {domain:<20} {seconds:>7.2f}", flush=True)
        if name == "scores":
            print(f"    {'model (train+score)':<20} {figures['model_seconds']:>7.2f}", flush=True)
    print(
        f"  scored {figures['scored_entities']:,} entities from {figures['feature_rows']:,} "
        f"feature rows; {figures['model_groups_trained']} models trained on "
        f"{figures['model_training_rows']:,} sampled entity-days; {figures['alerts']:,} alerts: "
        f"{figures['alerts_by_pattern']}",
        flush=True,
    )
    print(
        f"  risk step for the day {figures['total_seconds']:>7.2f} s wall, "
        f"{figures['cpu_seconds']:.2f} s CPU (target < {TARGET_SECONDS:.0f} s); peak "
        f"{figures['peak_mib']:,} MiB (target < {TARGET_MIB:,}; DuckDB memory_limit "
        f"{MEMORY_LIMIT})",
        flush=True,
    )
    met = figures["total_seconds"] < TARGET_SECONDS and figures["peak_mib"] < TARGET_MIB
    return 0 if met else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare(Path(sys.argv[2])), default=str))
    elif len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps(measure(Path(sys.argv[2])), default=str))
    else:
        sys.exit(run_risk_bench())
