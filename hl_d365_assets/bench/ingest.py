"""`make bench`, ingestion part: the webhook receiver's sustained throughput with durability on,
and the latency from a segment's completion to the run the landing sensor starts for it.

The latency is measured against a real Dagster daemon (the same `dagster-daemon run` the demo
starts) over a scratch instance and data folder: a segment lands, the sensor (interval
``SENSOR_INTERVAL_SECONDS``) requests a run, the queued-run coordinator launches it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from hl_d365_assets.bench.webhook_throughput import measure_throughput
from hl_d365_assets.defs.landing.sensors import SENSOR_INTERVAL_SECONDS
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.settings import PROJECT_ROOT

LATENCY_SAMPLES = 3


def run_ingest_bench(events: int = 30_000, concurrency: int = 64) -> int:
    _say(f"webhook receiver: {events:,} signed events, {concurrency} connections, fsync before 2xx")
    figures = measure_throughput(events, concurrency)
    _say(
        f"  {figures['events_per_second']:,.0f} events/s sustained (target >= 2,000); "
        f"sent {figures['sent']:,}, acknowledged {figures['acknowledged']:,}, "
        f"landed {figures['landed']:,} ({figures['landed_distinct']:,} distinct), "
        f"acknowledged but not landed {figures['acknowledged_not_landed']}"
    )
    _say(
        f"  latency p50 {figures['latency_p50_ms']:.0f} ms, p99 {figures['latency_p99_ms']:.0f} ms; "
        f"{figures['group_commits']:,} group commits; receiver CPU "
        f"{figures['receiver_cpu_us_per_event']:.0f} µs/event; exit on SIGTERM "
        f"{figures['receiver_exit_code']}"
    )
    throughput_ok = (
        figures["acknowledged"] == figures["landed_distinct"]
        and figures["acknowledged_not_landed"] == 0
    )

    _say(
        f"\nlanding sensor: segment completed -> run started, {LATENCY_SAMPLES} samples, "
        f"sensor interval {SENSOR_INTERVAL_SECONDS}s, real dagster-daemon"
    )
    samples = sensor_latency(LATENCY_SAMPLES)
    for requested, started in samples:
        _say(f"  run requested after {requested:.1f}s, started after {started:.1f}s")
    _say(
        f"  median: requested {statistics.median(r for r, _ in samples):.1f}s, "
        f"started {statistics.median(s for _, s in samples):.1f}s"
    )
    return 0 if throughput_ok else 1


def sensor_latency(samples: int) -> list[tuple[float, float]]:
    """(seconds to run requested, seconds to run started) per landed segment."""
    from hl_d365_assets.demo.live_day import background_process, daemon_command

    with tempfile.TemporaryDirectory(prefix="hl_d365_sensor_bench_") as scratch:
        root = Path(scratch)
        home = root / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
        data = root / "data"
        zone = LandingZone(data / "landing")
        day = date.today() - timedelta(days=1)
        previous = {key: os.environ.get(key) for key in ("DAGSTER_HOME", "HL_D365_DATA_DIR")}
        os.environ.update(DAGSTER_HOME=str(home), HL_D365_DATA_DIR=str(data))
        try:
            logs = root / "logs"
            logs.mkdir()
            with (
                background_process("dagster-daemon", daemon_command(), logs),
                dg.DagsterInstance.from_config(str(home)) as instance,
            ):
                results = []
                try:
                    for n in range(samples):
                        segment = _land_segment(zone, day, n)
                        results.append(_wait_for_run(instance, segment))
                        # A segment landing while a run is still reading would be loaded by it
                        # (and rightly start no run of its own): sample on a quiet zone.
                        _wait_for_runs_to_finish(instance)
                except TimeoutError as late:
                    log = (logs / "dagster-daemon.log").read_text(errors="replace")[-3000:]
                    raise TimeoutError(f"{late}; dagster-daemon log:\n{log}") from None
                return results
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _land_segment(zone: LandingZone, day: date, n: int) -> Path:
    if n == 0:
        config = SandboxConfig(
            seed=n, store_count=1, transactions_per_store_day=20, defect_rates=DefectRates.none()
        )
        generate(zone, [day], config, ground_truth_path=zone.root.parent / "truth.ndjson")
        return max(
            (
                p
                for e in ("payment_transactions", "settlement_batches")
                for p in zone.segments("heartland", e, day)
            ),
            key=lambda p: p.name,
        )
    with LandingWriter(zone, "bench") as writer:
        writer.append(
            "heartland",
            "payment_transactions",
            day,
            f'{{"event_id":"EVT_BENCH_{n}","event_type":"transaction.captured","payload":{{}}}}',
        )
    return writer.committed[-1]


def _wait_for_run(instance: dg.DagsterInstance, segment: Path, timeout: float = 180) -> tuple:
    landed_at = segment.stat().st_mtime
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = instance.get_run_records(
            filters=dg.RunsFilter(tags={"hl_d365/newest_segment": segment.name}), limit=1
        )
        if records:
            stats = instance.get_run_stats(records[0].dagster_run.run_id)
            if stats.start_time:
                requested = records[0].create_timestamp.timestamp() - landed_at
                return requested, stats.start_time - landed_at
        time.sleep(0.2)
    raise TimeoutError(f"no run started for {segment.name} within {timeout}s")


def _wait_for_runs_to_finish(instance: dg.DagsterInstance, timeout: float = 180) -> None:
    """Let the runs end before the daemon stops, so none is cut short."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(run.is_finished for run in instance.get_runs()):
            return
        time.sleep(0.5)
    raise TimeoutError(f"runs still going after {timeout}s")


def _say(message: str) -> None:
    print(message, flush=True)
