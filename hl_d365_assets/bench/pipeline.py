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
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import duckdb

from hl_d365_assets.bench.peak_memory import peak_rss_mib
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.settings import PROJECT_ROOT, Settings, load_settings
from hl_d365_assets.warehouse import sql_file

BENCH_DAY = date(2026, 11, 20)
STORES = 5
ENTITIES = ("payment_transactions", "settlement_batches")
"""What this bench lands and loads: the gateway's day. POS tickets come from Heartland Retail
(they replaced the invented pos_tickets feed) and are measured by their own bench; the Retail
store the generator writes is not pulled here, so canonical.pos_* stay empty in this run."""


def bench_settings() -> Settings:
    """The bench's own data dir (``bench_data/``); the memory budget (``HL_D365_MEMORY_LIMIT``,
    ``HL_D365_SPILL_DIR``, ``HL_D365_THREADS``) as the environment sets it, as a real run would."""
    base = load_settings()
    return Settings(
        data_dir=PROJECT_ROOT / "bench_data",
        mappings_dir=base.mappings_dir,
        merchant_timezone=base.merchant_timezone,
        first_business_day=base.first_business_day,
        base_currency=base.base_currency,
        memory_limit=base.memory_limit,
        spill_dir_setting=base.spill_dir_setting,
        threads=base.threads,
    )


@dataclasses.dataclass(frozen=True)
class Measure:
    """One bare read and the Dagster run that followed it, interleaved, on the same landed days."""

    bare_seconds: float
    bare_cpu: float
    run: dict

    @property
    def ratio(self) -> float:
        return self.run["run_seconds"] / self.bare_seconds

    @property
    def load_ratio(self) -> float:
        return _load_seconds(self.run) / self.bare_seconds

    @property
    def cpu_ratio(self) -> float:
        return self.run["cpu_seconds"] / self.bare_cpu


def run_bench(
    transactions: int,
    keep: bool,
    repeats: int = 3,
    points: Sequence[int] = (),
    days: int = 1,
    data_dir: Path | None = None,
    tenants: int = 2,
    hand_over: Path | None = None,
) -> int:
    """The 1M day ``repeats`` times interleaved with the bare read (median ratio and spread),
    then ``tenants`` runs of the same day at once (one warehouse each), one measure per size in
    ``points`` and, with ``days`` > 1, a ``days``-day backfill in one run at ``transactions`` a
    day; one summary table at the end. ``data_dir``: where the days are landed and loaded
    (default ``bench_data/``), so two benches can run side by side. ``hand_over``: where the
    last repeat's warehouse (the day loaded through raw and canonical by the daily job) is moved
    for the risk part, which would otherwise generate and load the same day again."""
    settings = bench_settings()
    if data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=data_dir.resolve())
    _say(
        f"benchmark: {transactions:,} gateway transactions a day, {STORES} stores; memory budget "
        f"per warehouse connection {settings.memory_limit} (HL_D365_MEMORY_LIMIT), spill to "
        f"{settings.spill_dir} (HL_D365_SPILL_DIR), threads "
        f"{settings.threads or 'all'} (HL_D365_THREADS)"
    )
    rows: list[tuple[str, dict]] = []
    status = 0
    try:
        segments, landed = _land(settings, transactions, 1)
        measures = []
        for number in range(1, repeats + 1):
            measure = _measure(settings, segments, [BENCH_DAY])
            if not measure.run["success"]:
                _say_failures(f"repeat {number}", measure.run)
                return 1
            measures.append(measure)
            _say(
                f"  repeat {number}/{repeats}: bare read {measure.bare_seconds:.1f} s, run "
                f"{measure.run['run_seconds']:.1f} s (ratio {measure.ratio:.2f}, CPU ratio "
                f"{measure.cpu_ratio:.2f}), peak {measure.run['peak_mib']:,.0f} MiB"
            )
        median = sorted(measures, key=lambda m: m.ratio)[len(measures) // 2]
        if hand_over is not None:
            hand_over.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(settings.warehouse_path, hand_over)
        _print_steps(median.run)
        _print_day(transactions, landed, measures, median)
        rows.append(
            (f"{transactions / 1e6:g}M day (median of {repeats})", _row(measures, median, landed))
        )
        if tenants > 1:
            runs, wall = _measure_tenants(settings, tenants)
            status |= 0 if all(run["success"] for run in runs) else 1
            rows.append(
                (f"{tenants} tenants at once, 1 day each", _tenants_row(runs, wall, landed))
            )
            _print_tenants(runs, wall, median)
        for size in points:
            segments, landed = _land(settings, size, 1)
            measure = _measure(settings, segments, [BENCH_DAY])
            status |= 0 if measure.run["success"] else 1
            _say_failures(f"{size:,}-transaction day", measure.run)
            rows.append((f"{size / 1e6:g}M day (1 run)", _row([measure], measure, landed)))
        if days > 1:
            segments, landed = _land(settings, transactions, days)
            backfill_days = [BENCH_DAY + timedelta(days=n) for n in range(days)]
            measure = _measure(settings, segments, backfill_days, bare=False)
            status |= 0 if measure.run["success"] else 1
            _say_failures(f"{days}-day backfill", measure.run)
            row = _row([measure], measure, landed)
            row["per_day"] = measure.run["run_seconds"] / median.run["run_seconds"]
            rows.append((f"{days}-day backfill, one run", row))
            _print_backfill(measure.run, days, median)
    finally:
        if not keep:
            shutil.rmtree(settings.data_dir, ignore_errors=True)
    _print_table(rows)
    return status


def _land(settings: Settings, transactions: int, days: int) -> tuple[dict[str, list[str]], dict]:
    """Generate and land ``days`` days from BENCH_DAY into a clean bench_data/ (not timed)."""
    from hl_d365_assets.sandbox import SandboxConfig, generate

    shutil.rmtree(settings.data_dir, ignore_errors=True)
    zone = LandingZone(settings.landing_dir)
    per_store = -(-transactions // STORES)
    day_list = [BENCH_DAY + timedelta(days=n) for n in range(days)]
    started = time.perf_counter()
    report = generate(
        zone,
        day_list,
        SandboxConfig(
            store_count=STORES,
            transactions_per_store_day=per_store,
            mappings_dir=settings.mappings_dir,
        ),
        ground_truth_path=settings.data_dir / "sandbox" / "ground_truth.ndjson",
    )
    segments = {
        entity: [str(p) for day in day_list for p in zone.segments("heartland", entity, day)]
        for entity in ENTITIES
    }
    landed = {
        "transactions": report.gateway_transactions,
        "lines": sum(report.lines_of(entity, day) for entity in ENTITIES for day in day_list),
        "bytes": sum(Path(p).stat().st_size for paths in segments.values() for p in paths),
        "seconds": time.perf_counter() - started,
    }
    _say(
        f"  generated and landed {days} day(s) of {transactions:,} transactions: "
        f"{landed['lines']:,} lines, {landed['bytes'] / 2**20:,.0f} MiB in "
        f"{landed['seconds']:.0f} s (not timed)"
    )
    return segments, landed


def _measure(
    settings: Settings, segments: dict[str, list[str]], days: list[date], bare: bool = True
) -> Measure:
    """The bare read, then the Dagster run on a fresh warehouse and instance, each in a child
    process of its own: its peak RSS and CPU time are its own."""
    for stale in (settings.warehouse_path, settings.read_copy_path):
        stale.unlink(missing_ok=True)
    shutil.rmtree(settings.spill_dir, ignore_errors=True)
    bare_run = _child("--bare", str(settings.data_dir)) if bare else {"seconds": 0, "cpu": 0}
    run = _child("--run", str(settings.data_dir), days[0].isoformat(), days[-1].isoformat())
    return Measure(bare_run["seconds"], bare_run["cpu"], run)


def _measure_tenants(settings: Settings, tenants: int) -> tuple[list[dict], float]:
    """``tenants`` Dagster runs of the landed day started together, each in its own process on
    its own data folder: its own landing zone (the landed day hard-linked, not copied) and its
    own DuckDB file, as docs/tenants.md lays tenants out, so no run waits on another's writer
    lock. Wall time is from the first start to the last finish."""
    folders = [settings.data_dir / "tenants" / f"bench_tenant_{n}" for n in range(1, tenants + 1)]
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copytree(settings.landing_dir, folder / "landing", copy_function=os.link)
    started = time.perf_counter()
    children = [_start_child("--run", str(folder), BENCH_DAY.isoformat()) for folder in folders]
    runs = [_finish_child(child) for child in children]
    wall = time.perf_counter() - started
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return runs, wall


def _tenants_row(runs: list[dict], wall: float, landed: dict) -> dict:
    ok = [run for run in runs if run["success"]]
    return {
        "transactions": landed["transactions"] * len(runs),
        "lines": landed["lines"] * len(runs),
        "run_seconds": wall,
        "cpu_seconds": sum(run["cpu_seconds"] for run in ok),
        "ratio": None,
        "spread": None,
        "load_ratio": None,
        "cpu_ratio": None,
        "peak_mib": max((run["peak_mib"] for run in ok), default=0.0),
        "spilled_mib": sum(run["spilled_mib"] for run in ok),
        "success": len(ok) == len(runs),
        "checks": f"{sum(r['checks_passed'] for r in ok)}/{sum(r['checks'] for r in ok)}",
    }


def _print_tenants(runs: list[dict], wall: float, one_day: Measure) -> None:
    for number, run in enumerate(runs, start=1):
        if not run["success"]:
            _say(f"  tenant {number}: {run.get('error', 'the run failed')}")
    ok = [run for run in runs if run["success"]]
    _say(
        f"\n  {len(runs)} tenants at once (own landing zone and DuckDB file each): "
        f"{wall:.1f} s wall for all, {wall / one_day.run['run_seconds']:.2f} x one tenant's day "
        f"alone on these {os.cpu_count()} cores; each run "
        + ", ".join(f"{run['run_seconds']:.1f} s" for run in ok)
        + "; peak RSS each "
        + ", ".join(f"{run['peak_mib']:,.0f} MiB" for run in ok)
        + "; conservation "
        + ("holds for each" if ok and all(run["conserved"] for run in ok) else "NOT SHOWN")
    )


def _child(*args: str) -> dict:
    return _finish_child(_start_child(*args))


def _start_child(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hl_d365_assets.bench.pipeline", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish_child(child: subprocess.Popen) -> dict:
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        return {"success": False, "error": stdout[-4000:] + stderr[-4000:]}
    return json.loads(stdout.strip().splitlines()[-1])


def _load_seconds(run: dict) -> float:
    """Raw + canonical: the load proper (reconciliation, journals and checks are on top)."""
    return sum(
        s["seconds"]
        for s in run["steps"]
        if s["kind"] == "asset" and s["key"].startswith(("raw__", "canonical_"))
    )


def _row(measures: list[Measure], median: Measure, landed: dict) -> dict:
    ratios = sorted(m.ratio for m in measures if m.bare_seconds)
    return {
        "transactions": landed["transactions"],
        "lines": landed["lines"],
        "run_seconds": median.run["run_seconds"],
        "cpu_seconds": median.run["cpu_seconds"],
        "ratio": median.ratio if median.bare_seconds else None,
        "spread": (ratios[0], ratios[-1]) if ratios else None,
        "load_ratio": median.load_ratio if median.bare_seconds else None,
        "cpu_ratio": median.cpu_ratio if median.bare_cpu else None,
        "peak_mib": max(m.run["peak_mib"] for m in measures),
        "spilled_mib": median.run["spilled_mib"],
        "success": all(m.run["success"] for m in measures),
        "checks": f"{median.run['checks_passed']}/{median.run['checks']}",
    }


def _print_steps(run: dict) -> None:
    _say("\nstep (median run)                                 wall s   compute s   overhead s")
    for step in run["steps"]:
        _say(
            f"  {step['key']:<46} {step['seconds']:>7.2f}   {step['compute']:>9.2f}   "
            f"{step['seconds'] - step['compute']:>10.2f}"
        )
        for phase, seconds in step.get("phases", {}).items():
            _say(f"      {phase:<44} {seconds:>7.2f}")
    checks = [s for s in run["steps"] if s["kind"] == "check"]
    validation = sum(s["compute"] for s in checks if s["key"].endswith("schema_contract"))
    _say(
        f"  checks: {len(checks)} steps, {sum(s['seconds'] for s in checks):.1f} s, of which "
        f"pandera validation (schema_contract) {validation:.1f} s"
    )


def _print_day(transactions: int, landed: dict, measures: list[Measure], median: Measure) -> None:
    run = median.run
    ratios = sorted(m.ratio for m in measures)
    load_ratios = sorted(m.load_ratio for m in measures)
    overhead = [s["seconds"] - s["compute"] for s in run["steps"]]
    seconds = {step["key"]: step["seconds"] for step in run["steps"]}
    ledger = seconds.get("reconciliation", 0.0) + seconds.get("general_ledger", 0.0)
    _say(f"\n  gateway transactions        {landed['transactions']:>12,}")
    _say(
        f"  landed                      {landed['lines']:>12,} lines, "
        f"{landed['bytes'] / 2**20:,.0f} MiB (generate + land {landed['seconds']:.0f} s)"
    )
    _say(
        "  bare read_json floor        "
        + ", ".join(f"{m.bare_seconds:.1f}" for m in measures)
        + f" s (CPU {', '.join(f'{m.bare_cpu:.1f}' for m in measures)} s)"
    )
    _say(
        "  run wall time               "
        + ", ".join(f"{m.run['run_seconds']:.1f}" for m in measures)
        + " s (CPU "
        + ", ".join(f"{m.run['cpu_seconds']:.1f}" for m in measures)
        + " s)"
    )
    _say(
        f"  whole run / floor           median {median.ratio:.2f}, spread "
        f"{ratios[0]:.2f}-{ratios[-1]:.2f} over {len(measures)} interleaved pairs (target <= 3); "
        f"CPU time ratio {median.cpu_ratio:.2f}"
    )
    _say(
        f"  raw + canonical / floor     median {sorted(load_ratios)[len(load_ratios) // 2]:.2f}, "
        f"spread {load_ratios[0]:.2f}-{load_ratios[-1]:.2f} (target <= 2)"
    )
    _say(
        f"  recon + journals            {ledger:>12.1f} s  (reconciliation "
        f"{seconds.get('reconciliation', 0.0):.1f} s + general_ledger "
        f"{seconds.get('general_ledger', 0.0):.1f} s)"
    )
    _say(
        f"  orchestration overhead      {sum(overhead):>12.2f} s over {len(overhead)} steps "
        f"(mean {sum(overhead) / max(len(overhead), 1) * 1000:.0f} ms/step)"
    )
    _say(
        f"  peak RSS of the run         {max(m.run['peak_mib'] for m in measures):>12,.0f} MiB "
        f"(max over the repeats; target <= 2,048); spilled at the end {run['spilled_mib']:,.0f} MiB"
    )
    _say(
        f"  loaded / duplicates / quarantined: {run['loaded']:,} / {run['duplicates']:,} / "
        f"{run['quarantined']:,}"
    )


def _print_backfill(run: dict, days: int, one_day: Measure) -> None:
    _say(
        f"\n  {days}-day backfill in one run: {run['run_seconds']:.1f} s "
        f"({run['run_seconds'] / one_day.run['run_seconds']:.2f} x the one-day run, target "
        f"<= {days + 0.5:g}); CPU {run['cpu_seconds']:.1f} s; peak RSS {run['peak_mib']:,.0f} MiB; "
        f"{run['checks_passed']}/{run['checks']} check evaluations passed over "
        f"{run['days_loaded']} days; conservation (landed = loaded + duplicates + quarantined) "
        f"{'holds' if run['conserved'] else 'BROKEN'} for every day"
    )


def _print_table(rows: list[tuple[str, dict]]) -> None:
    _say(
        "\n                                   run s   CPU s   x floor (spread)   raw+canon x   "
        "peak MiB   transactions   checks passed"
    )
    for label, row in rows:
        ratio = (
            f"{row['ratio']:.2f} ({row['spread'][0]:.2f}-{row['spread'][1]:.2f})"
            if row["ratio"] is not None
            else "-"
        )
        load = f"{row['load_ratio']:.2f}" if row["load_ratio"] is not None else "-"
        extra = f"  = {row['per_day']:.2f} x one day" if "per_day" in row else ""
        failed = "" if row["success"] else "  RUN FAILED"
        _say(
            f"  {label:<31} {row['run_seconds']:>7.1f} {row['cpu_seconds']:>7.1f}   "
            f"{ratio:<17} {load:>11}   {row['peak_mib']:>8,.0f}   {row['transactions']:>12,}"
            f"   {row['checks']:>13}{extra}{failed}"
        )


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


def _bare_in_this_process(data_dir: Path) -> dict:
    """The floor: DuckDB's bare ``read_json`` of the bench day's segments into tables."""
    zone = LandingZone(data_dir / "landing")
    segments = {
        entity: [str(p) for p in zone.segments("heartland", entity, BENCH_DAY)]
        for entity in ENTITIES
    }
    before = _cpu()
    seconds = _bare_read_json(data_dir / "baseline.duckdb", segments)
    return {"seconds": seconds, "cpu": _cpu() - before}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_in_this_process(data_dir: Path, first: date = BENCH_DAY, last: date | None = None) -> dict:
    """The measured part: one Dagster run of the daily job over ``first``..``last`` (one run
    even for several days: a single-run backfill)."""
    import dagster as dg
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.ops.jobs import daily_heartland_job
    from hl_d365_assets.defs.resources import build_resources

    last = last or first
    settings = dataclasses.replace(bench_settings(), data_dir=data_dir)
    job = defs.resolve_job_def(daily_heartland_job.name)
    partition = (
        {"partition_key": first.isoformat()}
        if first == last
        else {
            "tags": {
                ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
            }
        }
    )
    with dg.instance_for_test() as instance:
        cpu_before = _cpu()
        started = time.perf_counter()
        result = job.execute_in_process(
            **partition,
            instance=instance,
            resources=build_resources(settings),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
        run_seconds = time.perf_counter() - started
        cpu_seconds = _cpu() - cpu_before
        steps = _step_timings(instance, result.run_id)
        failures = [
            f"{event.step_key}: {event.step_failure_data.error.message.strip()[:400]}"
            for event in result.all_events
            if event.is_step_failure and event.step_failure_data.error is not None
        ]
        checks = [
            event
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
    spilled = sum(p.stat().st_size for p in settings.spill_dir.rglob("*") if p.is_file())
    import duckdb as db

    conn = db.connect(str(settings.warehouse_path), read_only=True)
    loaded, duplicates, quarantined = conn.execute(
        "SELECT sum(loaded), sum(duplicates), sum(quarantined) FROM ops.partition_loads"
    ).fetchall()[0]
    [(days_loaded, conserved)] = conn.execute(
        sql_file("ops/read_partition_loads_conservation.sql"), {"first": first, "last": last}
    ).fetchall()
    conn.close()
    return {
        "success": result.success,
        "failures": failures,
        "run_seconds": run_seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mib": peak_rss_mib(),
        "spilled_mib": spilled / 2**20,
        "steps": steps,
        "loaded": int(loaded),
        "duplicates": int(duplicates),
        "quarantined": int(quarantined),
        "checks": len(checks),
        "checks_passed": sum(
            1
            for event in checks
            if event.event_specific_data.passed  # type: ignore[union-attr]
        ),
        "days_loaded": int(days_loaded),
        "conserved": bool(conserved),
    }


def _step_timings(instance, run_id: str) -> list[dict]:
    import dagster as dg

    records = instance.get_records_for_run(run_id).records
    starts: dict[str, float] = {}
    compute: dict[str, float] = {}
    kinds: dict[str, str] = {}
    phases: dict[str, dict] = {}
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
            if "phase_seconds" in metadata:
                phases[key] = dict(getattr(metadata["phase_seconds"], "value", {}) or {})
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
                    **({"phases": phases[key]} if key in phases else {}),
                }
            )
    return steps


def _seconds(metadata: dict, name: str) -> float:
    value = metadata.get(name)
    return float(getattr(value, "value", value) or 0.0)


def _say_failures(label: str, run: dict) -> None:
    """Why a measured run failed: each failed step and the head of its error."""
    if not run["success"]:
        _say(f"  {label}: the run FAILED")
        for failure in run.get("failures") or [run.get("error", "no step failed; see the run")]:
            _say(f"    {failure}")


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--run":
        days = [date.fromisoformat(day) for day in sys.argv[3:5]]
        print(json.dumps(_run_in_this_process(Path(sys.argv[2]), *days)))
    elif len(sys.argv) == 3 and sys.argv[1] == "--bare":
        print(json.dumps(_bare_in_this_process(Path(sys.argv[2]))))
    else:
        sys.exit(
            run_bench(transactions=int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, keep=False)
        )
