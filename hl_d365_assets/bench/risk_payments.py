"""Benchmark of the payments risk features: ``sql/risk/features_payments.sql`` scoring one day of
five stores x ``per_store`` gateway transactions with ``history_days`` days of trailing history.

The warehouse is written straight into canonical.payments / pos_tenders / pos_sales by
``sql/risk/bench_payments_history.sql`` (the features read only the canonical layer; landing and
loading 29 million-transaction days would take an hour). The features run in a child process so
its peak memory (``RUSAGE_CHILDREN``) is theirs alone.

    python -m hl_d365_assets.bench.risk_payments [per_store] [history_days]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.bench.peak_memory import peak_rss_mib
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.risk.config import RiskSettings
from hl_d365_assets.settings import load_settings
from hl_d365_assets.warehouse import ensure_schema, run_script, sql_file

BENCH_DAY = date(2026, 11, 20)


def build_warehouse(path: Path, per_store: int, history_days: int) -> None:
    conn = duckdb.connect(str(path))
    ensure_schema(conn)
    load_mappings(conn, load_settings().mappings_dir)
    run_script(
        conn,
        sql_file("risk/bench_payments_history.sql"),
        {"last_day": BENCH_DAY, "days": history_days + 1, "per_store": per_store},
    )
    conn.execute("CHECKPOINT").fetchall()
    conn.close()


def score_day(path: Path, history_days: int) -> dict:
    """The measured part: both payments-side feature files for the bench day."""
    conn = duckdb.connect(str(path))
    params = RiskSettings(window_days=history_days).feature_params(BENCH_DAY)
    seconds = {}
    for domain in ("payments", "settlement"):
        started = time.perf_counter()
        run_script(conn, sql_file(f"risk/features_{domain}.sql"), params)
        seconds[domain] = time.perf_counter() - started
    rows = conn.execute("SELECT count(*) FROM risk.features").fetchone()[0]
    scored = conn.execute(
        "SELECT count(*) FROM canonical.payments WHERE business_date = ?", [BENCH_DAY]
    ).fetchone()[0]
    conn.close()
    return {
        "seconds": seconds,
        "feature_rows": rows,
        "scored_transactions": scored,
        "peak_mib": peak_rss_mib(),
    }


def run_bench(per_store: int, history_days: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="risk_payments_bench-"))
    path = folder / "warehouse.duckdb"
    try:
        started = time.perf_counter()
        build_warehouse(path, per_store, history_days)
        print(
            f"synthetic warehouse: {history_days + 1} days x 5 stores x {per_store:,} transactions "
            f"in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "hl_d365_assets.bench.risk_payments",
                "--score",
                str(path),
                str(history_days),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        peak_mib = result["peak_mib"]
        for domain, seconds in result["seconds"].items():
            print(f"  features_{domain}.sql  {seconds:8.2f} s")
        print(f"  scored transactions     {result['scored_transactions']:>10,}")
        print(f"  feature rows            {result['feature_rows']:>10,}")
        print(f"  peak memory             {peak_mib:>10,.0f} MiB")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--score":
        print(json.dumps(score_day(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        sys.exit(
            run_bench(
                per_store=int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
                history_days=int(sys.argv[2]) if len(sys.argv) > 2 else 28,
            )
        )
