"""`hl-d365 bench --part mdm` (or `--mdm`): customer matching measured against the sandbox's
known identities, at 50,000 and 500,000 source records.

Each size runs in a child process (``python -m hl_d365_assets.bench.customers PEOPLE``) on a
warehouse file of its own, so the peak memory reported is that run's alone. The timed part is
what the nightly job does: standardise, rules, model estimation and scoring, clustering, golden
records and cross-references. Generating the people is reported apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from hl_d365_assets.bench.peak_memory import peak_rss_mib
from hl_d365_assets.mdm.evaluation import pairwise_scores
from hl_d365_assets.mdm.pipeline import run_customer_matching
from hl_d365_assets.sandbox.customer_identities import build_customer_identities
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, transaction

SIZES = {"50k": 28_000, "500k": 270_000}
"""People per size: the sandbox writes about 1.86 source records a person."""
TARGET_SECONDS = 120.0
TARGET_PEAK_MIB = 4096.0
QUALITY_TARGETS = {"precision": 0.98, "f1": 0.95}


def measure(people: int) -> dict:
    """One size, in this process: its figures as a dict (printed as JSON by the child)."""
    with tempfile.TemporaryDirectory(prefix="mdm_bench_") as folder:
        conn = duckdb.connect(str(Path(folder) / "warehouse.duckdb"))
        ensure_schema(conn)
        started = time.perf_counter()
        by_source = build_customer_identities(conn, people)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(conn):
            summary = run_customer_matching(conn, str(PROJECT_ROOT / "mappings"), datetime.now(UTC))
        matched = time.perf_counter() - started
        scores = pairwise_scores(conn, "customer_identity_truth")
        conn.close()
    return {
        "people": people,
        "source_records": sum(by_source.values()),
        "generate_seconds": round(generated, 1),
        "match_seconds": round(matched, 1),
        "peak_mib": round(peak_rss_mib()),
        "steps": summary.seconds,
        "links_by_rule": summary.links_by_rule,
        "review_queue_open": summary.review_queue_open,
        "golden_customers": summary.golden_customers,
        **scores.as_metadata(),
    }


def run_customer_bench(sizes: dict[str, int] = SIZES) -> int:
    """Run each size in a child; print the figures; 1 when a target is missed."""
    print("customer matching (issue 15): sandbox identities, splink on DuckDB", flush=True)
    status = 0
    for name, people in sizes.items():
        done = subprocess.run(
            [sys.executable, "-m", "hl_d365_assets.bench.customers", str(people)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        missed = [
            what
            for what, ok in (
                ("time", figures["match_seconds"] <= TARGET_SECONDS),
                ("memory", figures["peak_mib"] <= TARGET_PEAK_MIB),
                *((k, figures[k] >= v) for k, v in QUALITY_TARGETS.items()),
            )
            if not ok
        ]
        status |= bool(missed)
        print(
            f"  {name}: {figures['source_records']:,} source records "
            f"(generated in {figures['generate_seconds']} s) matched in "
            f"{figures['match_seconds']} s, peak {figures['peak_mib']:,} MiB; "
            f"precision {figures['precision']}, recall {figures['recall']}, F1 {figures['f1']}; "
            f"{figures['golden_customers']:,} golden customers, "
            f"{figures['review_queue_open']:,} pairs to review"
            + (f"  MISSED: {', '.join(missed)}" if missed else ""),
            flush=True,
        )
        print(f"    steps (s): {figures['steps']}", flush=True)
    return status


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
