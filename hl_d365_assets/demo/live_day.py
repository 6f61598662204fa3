"""The demo's live day: Heartland pushes its gateway events to the webhook receiver, a
trading-hours pull brings its POS tickets from Heartland Retail, the landing sensor runs it, and
the end-of-day pull from the Heartland simulator completes what the webhooks lost.

Everything runs as it would in production, on loopback: the receiver is `hl-d365 webhook serve`
in its own process, Dagster's daemon evaluates the landing sensor and launches the runs, and the
pulls are `heartland_retail_pull_job` and `heartland_pull_job` talking HTTP to the simulators. The
demo only sends, pulls, waits and reports; it never calls the sensor or materialises the day
itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from hl_d365_assets.defs.landing.jobs import heartland_pull_job
from hl_d365_assets.defs.landing.sensors import latest_load
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.demo.retail_pull import (
    RETAIL_URL_SETTING,
    landed_summary,
    pull_retail,
    reload_store,
)
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.pull import PULLED_ENTITIES
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.raw_loader import RETAIL_SOURCE, SOURCE, raw_table
from hl_d365_assets.sandbox import SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_retail_simulator import SimulatorServer
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.sandbox.webhooks import notification_bodies, post_all
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.webhook.process import free_port, start_receiver
from hl_d365_assets.webhook.receiver import WEBHOOK_PATH

LOST_EVERY = 20
"""Every 20th gateway notification is "lost" on its way, for the end-of-day pull to recover."""
RUN_TIMEOUT_SECONDS = 240
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
STREAMS = (
    *((SOURCE, entity) for entity in PULLED_ENTITIES),
    (RETAIL_SOURCE, "tickets"),
)
"""What the live day lands (source, entity): the gateway's events, pushed, and Heartland Retail's
tickets, pulled. The sensor's run of the day counts when it has loaded the newest of each."""

Say = Callable[[str], None]


@dataclass
class SensorRun:
    run_id: str
    status: str
    seconds_after_landing: float
    run_seconds: float


def live_day(
    settings: Settings, day: date, config: SandboxConfig, say: Say, *, retail: SimulatorServer
) -> int:
    """Push ``day``'s gateway events through the receiver and pull its tickets from the Heartland
    Retail simulator ``retail`` (serving the sandbox's store), let the sensor run it, then pull
    the gateway day; 0 when all ran."""
    heartland_side = LandingZone(settings.data_dir / "sandbox" / "heartland_holds")
    store_dir = settings.data_dir / "sandbox" / "heartland_retail"
    generate(
        heartland_side,
        [day],
        config,
        ground_truth_path=heartland_side.root / "truth.ndjson",
        retail_store_dir=store_dir,
    )
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    # A scheduled Retail pull the daemon launches reaches the demo's simulator too.
    daemon_env = {**os.environ, RETAIL_URL_SETTING: retail.base_url}
    with background_process("dagster-daemon", daemon_command(), logs, env=daemon_env) as daemon:
        say(f"  started dagster-daemon (pid {daemon.pid}): it evaluates the landing sensor")
        reload_store(retail, store_dir)
        with dg.DagsterInstance.get() as instance:
            tickets = pull_retail(settings, retail, instance, snapshot_day=day, tickets_only=True)
        say(
            f"  trading-hours pull from the Heartland Retail simulator ({retail.base_url}): "
            f"{landed_summary(tickets)}"
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        receiver = start_receiver(settings.data_dir, port, log_path=logs / "webhook-receiver.log")
        try:
            say(f"  started the webhook receiver (pid {receiver.pid}) on {url}")
            bodies, lost = [], set()
            for entity in PULLED_ENTITIES:
                entity_bodies = notification_bodies(heartland_side.segments(SOURCE, entity, day))
                if entity == "payment_transactions":
                    lost = {
                        len(bodies) + i
                        for i in range(LOST_EVERY - 1, len(entity_bodies), LOST_EVERY)
                    }
                bodies += entity_bodies
            sent_lines = len(bodies)
            delivery = post_all(url, bodies, SANDBOX_APP_KEY, keep=lambda i: i not in lost)
        finally:
            receiver.send_signal(signal.SIGTERM)
            code = receiver.wait(timeout=30)
        verdicts = ", ".join(f"{n:,} {v}" for v, n in delivery.statuses.most_common())
        say(
            f"  posted {delivery.sent:,} signed notifications of {sent_lines:,} in "
            f"{delivery.seconds:.1f}s ({delivery.sent / max(delivery.seconds, 1e-9):,.0f}/s): "
            f"{verdicts}; {sent_lines - delivery.sent:,} gateway events held back as lost"
        )
        say(f"  receiver stopped on SIGTERM (exit {code}), its open segments committed")

        first = _wait_for_sensor_run(settings, day)
        say(
            f"  landing sensor started run {first.run_id[:8]} for {day} {_launched(first)}: "
            f"{first.status} in {first.run_seconds:.1f}s"
        )

        simulator = HeartlandSimulator(
            heartland_side.root, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY
        )
        with serve(simulator) as server:
            client = HeartlandClient(
                base_url=server.base_url, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY
            )
            from hl_d365_assets.definitions import defs

            with dg.DagsterInstance.get() as instance:
                pulled = defs.resolve_job_def(heartland_pull_job.name).execute_in_process(
                    partition_key=day.isoformat(),
                    instance=instance,
                    resources={**build_resources(settings), "heartland": client},
                    raise_on_error=False,
                    run_config=QUIET_CONSOLE,
                )
                landed = {
                    event.materialization.asset_key.path[-1]: event.materialization.metadata[
                        "events_landed"
                    ].value
                    for event in pulled.get_asset_materialization_events()
                }
        say(
            f"  end-of-day pull from the Heartland simulator ({server.base_url}): "
            + (
                ", ".join(f"{n:,} {entity}" for entity, n in landed.items())
                if pulled.success
                else "FAILED (see `make ui`)"
            )
        )
        second = _wait_for_sensor_run(settings, day)
        say(
            f"  landing sensor re-opened {day}: run {second.run_id[:8]} {second.status} in "
            f"{second.run_seconds:.1f}s; the raw layer counted the events the webhooks had "
            "already landed as duplicates and loaded the lost ones"
        )
    succeeded = first.status == second.status == "SUCCESS"
    return 0 if succeeded and pulled.success and tickets.success else 1


def _launched(run: SensorRun) -> str:
    """When the sensor launched the run, against the last segment's landing. On a busy machine
    the sensor may launch while the receiver is still committing segments (the run then loads
    them all as it starts), so the gap can be negative, and is said so rather than printed as
    a negative latency."""
    lag = run.seconds_after_landing
    if lag >= 0:
        return f"{lag:.1f}s after its last segment landed"
    return f"while segments were still landing ({-lag:.1f}s before the last; it loaded them all)"


def _wait_for_sensor_run(settings: Settings, day: date) -> SensorRun:
    """Wait until a run has loaded the day's newest segments, and for that run to finish.

    Only materialisations after the newest segment count: the instance keeps earlier demos'."""
    zone = LandingZone(settings.landing_dir)
    newest = {
        stream: max((p.name for p in zone.segments(*stream, day)), default="") for stream in STREAMS
    }
    landed_at = max(
        (p.stat().st_mtime for stream in STREAMS for p in zone.segments(*stream, day)), default=0
    )
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    with dg.DagsterInstance.get() as instance:
        while time.monotonic() < deadline:
            run_id = _run_that_loaded(instance, day, newest, after=landed_at)
            if run_id:
                run = instance.get_run_by_id(run_id)
                if run is not None and run.is_finished:
                    stats = instance.get_run_stats(run_id)
                    return SensorRun(
                        run_id=run_id,
                        status=run.status.value,
                        seconds_after_landing=(stats.launch_time or landed_at) - landed_at,
                        run_seconds=(stats.end_time or 0) - (stats.start_time or 0),
                    )
            time.sleep(0.5)
    raise TimeoutError(
        f"no run loaded {day}'s newest segments within {RUN_TIMEOUT_SECONDS}s; "
        f"see {settings.data_dir / 'logs'} and `make ui`"
    )


def _run_that_loaded(
    instance: dg.DagsterInstance, day: date, newest: dict[tuple[str, str], str], after: float
) -> str | None:
    run_ids = set()
    for stream in STREAMS:
        asset_key = dg.AssetKey(["raw", raw_table(*stream)])
        loaded, record = latest_load(instance, asset_key, day.isoformat())
        if record is None or record.timestamp < after or loaded < newest[stream]:
            return None
        run_ids.add(record.run_id)
    return run_ids.pop() if len(run_ids) == 1 else None


def daemon_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "dagster._daemon",
        "run",
        "-w",
        str(PROJECT_ROOT / "workspace.yaml"),
    ]


@contextmanager
def background_process(
    name: str, command: list[str], logs: Path, env: dict[str, str] | None = None
):
    process = _start(name, command, logs, env)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _start(
    name: str, command: list[str], logs: Path, env: dict[str, str] | None
) -> subprocess.Popen:
    log = (logs / f"{name}.log").open("ab")
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env if env is not None else os.environ.copy(),
    )
