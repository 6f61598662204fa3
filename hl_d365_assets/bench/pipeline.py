"""`make bench`: one 1,000,000-transaction business day, generated, landed and materialised
through raw and canonical in one Dagster run, against DuckDB's bare ``read_json`` of the same
segments.

The Dagster run happens in a child process so its peak memory is its own (``RUSAGE_CHILDREN``),
not the generator's. Per-step figures come from the run's own event log: a step's wall time from
STEP_START to STEP_SUCCESS, and its compute time from the ``compute_seconds`` every asset and
check records for its own body; what is left is Dagster's per-step orchestration overhead.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.settings import PROJECT_ROOT, Settings, load_settings

BENCH_DAY = date(2026, 11, 20)
STORES = 5
ENTITIES = ("payment_transactions", "settlement_batches")
"""What this bench lands and loads: the gateway's day. POS tickets come from Heartland Retail
(they replaced the invented pos_tickets feed) and are measured by their own bench; the Retail
store the generator writes is not pulled here, so canonical.pos_* stay empty in this run."""


def bench_settings() -> Settings:
    base = load_settings()
    return Settings(
        data_dir=PROJECT_ROOT / "bench_data",
        mappings_dir=base.mappings_dir,
        merchant_timezone=base.merchant_timezone,
        first_business_day=base.first_business_day,
        base_currency=base.base_currency,
    )


def run_bench(transactions: int, keep: bool) -> int:
    from hl_d365_assets.sandbox import SandboxConfig, generate

    settings = bench_settings()
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    zone = LandingZone(settings.landing_dir)
    per_store = -(-transactions // STORES)
    _say(
        f"benchmark: one business day ({BENCH_DAY}), {STORES} stores × {per_store:,} gateway transactions"
    )

    started = time.perf_counter()
    report = generate(
        zone,
        [BENCH_DAY],
        SandboxConfig(
            store_count=STORES,
            transactions_per_store_day=per_store,
            mappings_dir=settings.mappings_dir,
        ),
        ground_truth_path=settings.data_dir / "sandbox" / "ground_truth.ndjson",
        progress=lambda message: _say(f"  generate: {message}"),
    )
    generate_seconds = time.perf_counter() - started
    segments = {
        entity: [str(p) for p in zone.segments("heartland", entity, BENCH_DAY)]
        for entity in ENTITIES
    }
    landed_bytes = sum(Path(p).stat().st_size for paths in segments.values() for p in paths)
    landed_lines = sum(report.lines_of(entity, BENCH_DAY) for entity in ENTITIES)
    _say(
        f"  generated and landed {landed_lines:,} lines, {landed_bytes / 2**20:,.0f} MiB "
        f"in {sum(len(p) for p in segments.values())} segments: {generate_seconds:.1f}s"
    )

    _say("  baseline: DuckDB read_json of the same segments into tables …")
    baseline_seconds = _bare_read_json(settings.data_dir / "baseline.duckdb", segments)
    _say(f"  baseline: {baseline_seconds:.1f}s")

    _say(
        "  Dagster run (raw + canonical + recon + journals + checks + read copy), in-process executor …"
    )
    child = subprocess.run(
        [sys.executable, "-m", "hl_d365_assets.bench.pipeline", "--run", str(settings.data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        _say(child.stdout[-4000:] + child.stderr[-4000:])
        return 1
    run = json.loads(child.stdout.strip().splitlines()[-1])
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    asset_steps = [s for s in run["steps"] if s["kind"] == "asset"]
    # The load proper: raw and canonical; reconciliation and journals are reported on their own.
    asset_seconds = sum(
        s["seconds"] for s in asset_steps if s["key"].startswith(("raw__", "canonical_"))
    )
    overhead = [s["seconds"] - s["compute"] for s in run["steps"]]
    _say("\nstep                                              wall s   compute s   overhead s")
    for step in run["steps"]:
        _say(
            f"  {step['key']:<46} {step['seconds']:>7.2f}   {step['compute']:>9.2f}   "
            f"{step['seconds'] - step['compute']:>10.2f}"
        )
    _say(f"\n  gateway transactions        {report.gateway_transactions:>12,}")
    _say(
        f"  landed                      {landed_lines:>12,} lines, {landed_bytes / 2**20:,.0f} MiB"
    )
    _say(f"  generate + land             {generate_seconds:>12.1f} s")
    _say(f"  bare read_json baseline     {baseline_seconds:>12.1f} s")
    _say(f"  run wall time               {run['run_seconds']:>12.1f} s  (target < 60 s)")
    _say(
        f"  raw + canonical steps       {asset_seconds:>12.1f} s  "
        f"ratio to baseline {asset_seconds / baseline_seconds:.2f} (target <= 3)"
    )
    _say(f"  whole run / baseline        {run['run_seconds'] / baseline_seconds:>12.2f}")
    seconds = {step["key"]: step["seconds"] for step in run["steps"]}
    raw_load = sum(s["seconds"] for s in asset_steps if s["key"].startswith("raw__"))
    ledger = seconds.get("reconciliation", 0.0) + seconds.get("general_ledger", 0.0)
    _say(
        f"  recon + journals            {ledger:>12.1f} s  (reconciliation "
        f"{seconds.get('reconciliation', 0.0):.1f} s + general_ledger {seconds.get('general_ledger', 0.0):.1f} s; "
        f"target < 10 s), ratio to the raw load ({raw_load:.1f} s) {ledger / raw_load if raw_load else 0:.2f}"
    )
    _say(
        f"  orchestration overhead      {sum(overhead):>12.2f} s over {len(overhead)} steps "
        f"(mean {sum(overhead) / max(len(overhead), 1) * 1000:.0f} ms/step), "
        f"run start/finish {run['run_seconds'] - sum(s['seconds'] for s in run['steps']):.2f} s"
    )
    _say(f"  peak memory of the run      {peak_mib:>12,.0f} MiB")
    _say(
        f"  loaded / duplicates / quarantined: {run['loaded']:,} / {run['duplicates']:,} / {run['quarantined']:,}"
    )
    if not keep:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    return 0 if run["success"] else 1


def _bare_read_json(path: Path, segments: dict[str, list[str]]) -> float:
    path.unlink(missing_ok=True)
    conn = duckdb.connect(str(path))
    started = time.perf_counter()
    for entity, paths in segments.items():
        conn.execute(
            f"CREATE TABLE {entity} AS SELECT * FROM read_json($paths, format = 'newline_delimited', ignore_errors = true)",
            {"paths": paths},
        ).fetchall()
    conn.execute("CHECKPOINT").fetchall()
    seconds = time.perf_counter() - started
    conn.close()
    path.unlink(missing_ok=True)
    return seconds


def _run_in_this_process(data_dir: Path) -> dict:
    """The measured part: one Dagster run of the daily job for the bench day."""
    import dagster as dg

    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.ops.jobs import daily_heartland_job
    from hl_d365_assets.defs.resources import build_resources

    settings = dataclasses.replace(bench_settings(), data_dir=data_dir)
    job = defs.resolve_job_def(daily_heartland_job.name)
    with dg.instance_for_test() as instance:
        started = time.perf_counter()
        result = job.execute_in_process(
            partition_key=BENCH_DAY.isoformat(),
            instance=instance,
            resources=build_resources(settings),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
        run_seconds = time.perf_counter() - started
        steps = _step_timings(instance, result.run_id)
    import duckdb as db

    conn = db.connect(str(settings.warehouse_path), read_only=True)
    loaded, duplicates, quarantined = conn.execute(
        "SELECT sum(loaded), sum(duplicates), sum(quarantined) FROM ops.partition_loads"
    ).fetchall()[0]
    conn.close()
    return {
        "success": result.success,
        "run_seconds": run_seconds,
        "steps": steps,
        "loaded": int(loaded),
        "duplicates": int(duplicates),
        "quarantined": int(quarantined),
    }


def _step_timings(instance, run_id: str) -> list[dict]:
    import dagster as dg

    records = instance.get_records_for_run(run_id).records
    starts: dict[str, float] = {}
    compute: dict[str, float] = {}
    kinds: dict[str, str] = {}
    steps = []
    for record in records:
        event = record.event_log_entry
        dagster_event = event.dagster_event
        if dagster_event is None or dagster_event.step_key is None:
            continue
        key = dagster_event.step_key
        if dagster_event.event_type == dg.DagsterEventType.STEP_START:
            starts[key] = event.timestamp
        elif dagster_event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            metadata = dagster_event.event_specific_data.materialization.metadata
            compute[key] = max(compute.get(key, 0.0), _seconds(metadata, "compute_seconds"))
            kinds[key] = "asset"
        elif dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            metadata = dagster_event.event_specific_data.metadata
            compute[key] = max(compute.get(key, 0.0), _seconds(metadata, "compute_seconds"))
            kinds.setdefault(key, "check")
        elif dagster_event.event_type == dg.DagsterEventType.STEP_SUCCESS and key in starts:
            steps.append(
                {
                    "key": key,
                    "kind": kinds.get(key, "check"),
                    "seconds": event.timestamp - starts[key],
                    "compute": compute.get(key, 0.0),
                }
            )
    return steps


def _seconds(metadata: dict, name: str) -> float:
    value = metadata.get(name)
    return float(getattr(value, "value", value) or 0.0)


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps(_run_in_this_process(Path(sys.argv[2]))))
    else:
        sys.exit(
            run_bench(transactions=int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, keep=False)
        )
