"""`hl-d365 bench --part risk` (issue 18, "Measured"): scoring the 1,000,000-transaction day with
its 28-day window in under 20 s, peak memory under 3 GB.

Outside the measurement: the pipeline bench's day (the sandbox's 1,000,000 gateway transactions
and their settlement batches, landed and loaded through raw and canonical by the daily job, in a
child process), its canonical rows copied to the 28 days before it (ids suffixed, times shifted:
sql/reports/bench_risk_history.sql), and the features of those 28 days (the model's training
window). POS tickets are not in the pipeline bench's day (bench/pipeline.py says why), so the
POS features see none here.

Measured, in one child process (``python -m hl_d365_assets.bench.risk --run FOLDER``) so its
peak memory is its own: what the three risk assets do for the day - the mappings loaded, every
domain's features file over the day and its window, the rules and the per-merchant models into
risk.scores, risk.alerts with their review rows.

A build without the payments features file (sql/risk/features_payments.sql: another piece of
issue 18) scores three stand-in per-transaction features instead
(sql/reports/bench_risk_stand_in_features.sql); the bench says so, and its figure then measures
the scoring and the model, not the features.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from hl_d365_assets.bench.pipeline import BENCH_DAY, STORES, bench_settings
from hl_d365_assets.settings import PROJECT_ROOT

TARGET_SECONDS = 20.0
TARGET_MIB = 3 * 1024
DATA_DIR = PROJECT_ROOT / "bench_data_risk"


def _connect(folder: Path):
    import duckdb

    settings = dataclasses.replace(bench_settings(), data_dir=folder)
    return settings, duckdb.connect(
        str(settings.warehouse_path), config={"preserve_insertion_order": False}
    )


def _stand_in_needed() -> bool:
    from hl_d365_assets.warehouse import SQL_DIR

    return not (SQL_DIR / "risk/features_payments.sql").is_file()


def prepare(folder: Path) -> dict:
    """Outside the measurement: the window's canonical rows and features."""
    from hl_d365_assets.ref_tables import load_mappings
    from hl_d365_assets.risk.config import read_risk_settings
    from hl_d365_assets.risk.scoring import write_features
    from hl_d365_assets.warehouse import run_script, sql_file, transaction

    settings, conn = _connect(folder)
    # Untimed, on a machine others share: a bounded buffer, and the window's features a day at a
    # time (as the daily job writes them), not 28 days in one statement.
    conn.execute("SET memory_limit = '4GB'")
    with conn:
        with transaction(conn):
            load_mappings(conn, settings.mappings_dir)
            risk = read_risk_settings(conn)
            run_script(
                conn,
                sql_file("reports/bench_risk_history.sql"),
                {"day": BENCH_DAY, "window_days": risk.window_days},
            )
        for back in range(risk.window_days, 0, -1):
            day = BENCH_DAY - timedelta(days=back)
            with transaction(conn):
                write_features(conn, day, day, risk)
                if _stand_in_needed():
                    run_script(
                        conn,
                        sql_file("reports/bench_risk_stand_in_features.sql"),
                        {"first": day, "last": day},
                    )
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM canonical.payments), "
            "(SELECT count(*) FROM risk.features WHERE business_date < ?)",
            [BENCH_DAY],
        ).fetchone()
    return {"payments": counts[0], "window_feature_rows": counts[1]}


def measure(folder: Path) -> dict:
    """The measured part, in this process (the child): what the risk assets do for the day."""
    from hl_d365_assets.ref_tables import load_mappings
    from hl_d365_assets.risk.config import read_risk_settings
    from hl_d365_assets.risk.scoring import write_alerts, write_features, write_scores
    from hl_d365_assets.warehouse import run_script, sql_file, transaction

    settings, conn = _connect(folder)
    seconds = {}
    started = time.perf_counter()
    with conn:
        with transaction(conn):
            load_mappings(conn, settings.mappings_dir)
            risk = read_risk_settings(conn)
            outcome = write_features(conn, BENCH_DAY, BENCH_DAY, risk)
            if _stand_in_needed():
                run_script(
                    conn,
                    sql_file("reports/bench_risk_stand_in_features.sql"),
                    {"first": BENCH_DAY, "last": BENCH_DAY},
                )
        seconds["features"] = time.perf_counter() - started
        mark = time.perf_counter()
        with transaction(conn):
            models = write_scores(conn, BENCH_DAY, BENCH_DAY, risk)
        seconds["scores"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with transaction(conn):
            write_alerts(conn, BENCH_DAY, BENCH_DAY, risk, "bench")
        seconds["alerts"] = time.perf_counter() - mark
        total = time.perf_counter() - started
        scored, feature_rows, alert_count = conn.execute(
            "SELECT (SELECT count(*) FROM risk.scores WHERE business_date = $d), "
            "(SELECT count(*) FROM risk.features WHERE business_date = $d), "
            "(SELECT count(*) FROM risk.alerts WHERE business_date = $d)",
            {"d": BENCH_DAY},
        ).fetchone()
    return {
        "seconds": seconds,
        "total_seconds": total,
        "scored_entities": scored,
        "feature_rows": feature_rows,
        "alerts": alert_count,
        "missing_feature_files": outcome.missing_files,
        "stand_in_features": _stand_in_needed(),
        "model_groups_trained": sum(m.trained for m in models),
        "model_training_rows": sum(m.training_rows for m in models),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _child(mode: str, folder: Path) -> dict | None:
    child = subprocess.run(
        [sys.executable, "-m", "hl_d365_assets.bench.risk", mode, str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        print(child.stdout[-4000:] + child.stderr[-4000:], flush=True)
        return None
    return json.loads(child.stdout.strip().splitlines()[-1])


def run_risk_bench(transactions: int = 1_000_000, keep: bool = False) -> int:
    """Generate and load (not timed), measure in a child, print; 1 when a target is missed."""
    from hl_d365_assets.landing import LandingZone
    from hl_d365_assets.sandbox import SandboxConfig, generate

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
        load = subprocess.run(
            [sys.executable, "-m", "hl_d365_assets.bench.pipeline", "--run", str(DATA_DIR)],
            capture_output=True,
            text=True,
            check=False,
        )
        if load.returncode != 0:
            print(load.stdout[-4000:] + load.stderr[-4000:], flush=True)
            return 1
        prepared = _child("--prepare", DATA_DIR)
        if prepared is None:
            return 1
        print(
            f"  generated, loaded and copied to the window: {prepared['payments']:,} gateway "
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
    if figures["missing_feature_files"]:
        print(
            "  features files not in this build: " + ", ".join(figures["missing_feature_files"]),
            flush=True,
        )
    if figures["stand_in_features"]:
        print(
            "  STAND-IN payments features (sql/reports/bench_risk_stand_in_features.sql): this "
            "figure measures the scoring and the model, not the payments features",
            flush=True,
        )
    for part, seconds in figures["seconds"].items():
        print(f"  {part:<10} {seconds:>7.2f} s", flush=True)
    print(
        f"  scored {figures['scored_entities']:,} entities from {figures['feature_rows']:,} "
        f"feature rows; {figures['alerts']:,} alerts; {figures['model_groups_trained']} models "
        f"trained on {figures['model_training_rows']:,} sampled entity-days",
        flush=True,
    )
    print(
        f"  risk step for the day {figures['total_seconds']:>7.2f} s (target < "
        f"{TARGET_SECONDS:.0f} s); peak {figures['peak_mib']:,} MiB (target < {TARGET_MIB:,})",
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
