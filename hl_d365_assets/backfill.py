"""`hl-d365 backfill`: a range of business days rebuilt as ONE run in the project's instance.

Why a command of our own rather than `dagster asset materialize`: that form needs
``.venv/bin/``, ``DAGSTER_HOME`` and a ``--select`` naming every layer, and without
``DAGSTER_HOME`` its run goes to a throwaway instance the UI never shows while still writing the
warehouse. This command runs the very jobs the UI offers (``daily_heartland_job`` from the
landing zone, ``heartland_backfill_job`` from the Heartland API first), over the whole range in
one run (every asset declares ``BackfillPolicy.single_run()``), records it in the project's
instance, prints each step as it finishes, and ends with a per-day summary a user can check
against the UI and the warehouse.

From the API, the POS side comes from Heartland Retail: ``heartland_retail_pull_job`` runs first,
as its own run. It is not partitioned (it lands every ticket not pulled yet under the ticket's
own business day, by its cursor), so it cannot join the partitioned backfill run; its reference
data and stock land as a snapshot dated on the range's first day, so every day of the range sees
them. Tickets pulled before (by the trading-hours schedule) are already in the landing zone.

Production code: it never imports the sandbox. In sandbox mode the command line
(:mod:`hl_d365_assets.cli`) starts the Heartland and Heartland Retail simulators and hands their
clients in.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.utils import make_new_run_id

from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.tenants import tenant_tags
from hl_d365_assets.warehouse import open_for_analysis, sql_file

SOURCES = ("landing", "api")
PROJECT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
"""Where `make demo` and `make ui` keep the instance (the Makefile's ``DAGSTER_HOME``)."""
INSTANCE_CONFIG = PROJECT_ROOT / "dagster.yaml"
"""The instance configuration that holds the warehouse pool (docs/tenants.md); absent from an
installed wheel."""
JOB_BY_SOURCE = {"landing": "daily_heartland_job", "api": "heartland_backfill_job"}
RETAIL_PULL_JOB = "heartland_retail_pull_job"
# The run's complete log is in the instance (and the UI); the terminal gets the steps and summary.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
STEP_EVENTS = {
    dg.DagsterEventType.STEP_SUCCESS: "done",
    dg.DagsterEventType.STEP_FAILURE: "FAILED",
    dg.DagsterEventType.STEP_SKIPPED: "skipped",
}

Say = Callable[[str], None]


class HeartlandUnreachable(RuntimeError):
    """The Heartland API's host does not accept connections: nothing would be pulled."""


def project_instance(settings: Settings, say: Say) -> dg.DagsterInstance:
    """The instance `make ui` shows: ``$DAGSTER_HOME``, else the project's ``.dagster_home``.

    A run in a throwaway instance would still write the warehouse while the UI never saw it, so
    an unset ``DAGSTER_HOME`` falls back to the folder the Makefile uses, and says so. An
    instance folder without ``dagster.yaml`` gets the project's (the warehouse pool lives
    there), as `make ui` would copy it.
    """
    home = settings.dagster_home
    if home is None:
        home = PROJECT_DAGSTER_HOME
        say(
            f"DAGSTER_HOME is not set: using the project's instance {home} "
            "(the one `make ui` shows)"
        )
    else:
        say(f"Dagster instance: {home} (DAGSTER_HOME)")
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() and INSTANCE_CONFIG.exists():
        shutil.copyfile(INSTANCE_CONFIG, target)
        say(f"copied {INSTANCE_CONFIG.name} into {home} (the warehouse pool)")
    return dg.DagsterInstance.from_config(str(home))


def check_reachable(base_url: str, timeout: float = 3.0) -> None:
    """Raise :class:`HeartlandUnreachable` naming the host when it refuses connections, so the
    backfill fails in a second with the host in the message, not after five retried token
    requests that say only "Connection refused"."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return
    except OSError as problem:
        raise HeartlandUnreachable(
            f"cannot reach the Heartland API at {parts.hostname}:{port} ({base_url}): "
            f"{problem.strerror or problem}"
        ) from problem


@dataclass(frozen=True)
class DaySummary:
    business_date: date
    landed: int
    loaded: int
    duplicates: int
    quarantined: int
    open_exceptions: str
    journals_ready: int
    journals_held: int
    held_by: str


def run_backfill(
    settings: Settings,
    first: date,
    last: date,
    source: str,
    instance: dg.DagsterInstance,
    say: Say,
    resources: dict[str, object] | None = None,
    tenant: str | None = None,
) -> int:
    """Materialise ``first``..``last`` as one run of the job for ``source``; 0 when it succeeded.
    With ``tenant``, the run is that tenant's (tagged ``hl_d365/tenant``: its resources resolve to
    the tenant's files) and ``settings`` are the tenant's, for the summary.
    From the API, Heartland Retail is pulled first (see the module docstring); a failed pull
    stops the backfill, which would otherwise build the days without their POS tickets.

    ``resources`` replaces the definitions' resources of the same name (the sandbox's Heartland
    simulators started for this command)."""
    from hl_d365_assets.definitions import defs

    if source == "api" and not _pull_retail(defs, first, instance, say, resources):
        return 1
    job = defs.resolve_job_def(JOB_BY_SOURCE[source])
    run_id = make_new_run_id()
    say(
        f"{job.name} over {first} .. {last} as one run ({run_id[:8]})"
        + (f" of tenant {tenant}" if tenant else "")
        + ": "
        + ("Heartland API pull, " if source == "api" else "")
        + "raw, canonical, recon, gl, read copy"
    )
    started = time.monotonic()
    stop = threading.Event()
    progress = threading.Thread(
        target=_print_steps, args=(instance, run_id, started, stop, say), daemon=True
    )
    progress.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
                **(tenant_tags(tenant) if tenant else {}),
            },
            resources=resources,
            raise_on_error=False,
            run_config=QUIET_CONSOLE,
        )
    finally:
        stop.set()
        progress.join(timeout=10)
    status = "SUCCESS" if result.success else "FAILURE"
    say(f"run {run_id} {status} in {time.monotonic() - started:.1f}s (open it in `make ui`)")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error is not None:
                say(f"  {event.step_key}: {event.step_failure_data.error.message.strip()}")
    if settings.read_copy_path.exists():
        print_summary(settings, first, last, say)
    return 0 if result.success else 1


def _pull_retail(
    defs: dg.Definitions,
    first: date,
    instance: dg.DagsterInstance,
    say: Say,
    resources: dict[str, object] | None,
) -> bool:
    """``heartland_retail_pull_job`` (every entity, snapshots dated ``first``) as its own run."""
    started = time.monotonic()
    result = defs.resolve_job_def(RETAIL_PULL_JOB).execute_in_process(
        instance=instance,
        resources=resources,
        raise_on_error=False,
        run_config={
            **QUIET_CONSOLE,
            "ops": {"heartland_retail_pull": {"config": {"snapshot_date": first.isoformat()}}},
        },
    )
    landed = {
        event.materialization.asset_key.path[-1]: event.materialization.metadata[
            "records_landed"
        ].value
        for event in result.get_asset_materialization_events()
    }
    say(
        f"{RETAIL_PULL_JOB} run {result.run_id[:8]} "
        f"{'SUCCESS' if result.success else 'FAILURE'} in {time.monotonic() - started:.1f}s: "
        + (", ".join(f"{n:,} {entity}" for entity, n in landed.items()) or "nothing landed")
    )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error is not None:
                say(f"  {event.step_key}: {event.step_failure_data.error.message.strip()}")
    return result.success


def _print_steps(
    instance: dg.DagsterInstance, run_id: str, started: float, stop: threading.Event, say: Say
) -> None:
    """Print each step as the instance records it finishing — what the UI's run view shows."""
    cursor = None
    while True:
        finished = stop.wait(1.0)
        connection = instance.get_records_for_run(run_id, cursor=cursor, of_type=set(STEP_EVENTS))
        cursor = connection.cursor
        for record in connection.records:
            entry = record.event_log_entry
            outcome = STEP_EVENTS[entry.dagster_event.event_type]
            say(f"  {time.monotonic() - started:6.1f}s  {entry.step_key} {outcome}")
        if finished:
            return


def day_summaries(settings: Settings, first: date, last: date) -> list[DaySummary]:
    """Per business day of the range: what was loaded, set aside, left open and journalised,
    read from the analysts' copy the run republished."""
    conn = open_for_analysis(settings.read_copy_path)
    try:
        loads = {row[0]: row for row in conn.execute(sql_file("reports/demo_loads.sql")).fetchall()}
        recon = {
            row[0]: row[5]
            for row in conn.execute(sql_file("reports/demo_reconciliation.sql")).fetchall()
        }
        journals = conn.execute(sql_file("reports/demo_journals.sql")).fetchall()
    finally:
        conn.close()
    summaries = []
    for day in sorted({*loads, *recon, *(j[0] for j in journals)}):
        if not first <= day <= last:
            continue
        _, landed, loaded, dupes, quarantined, *_ = loads.get(day, (day, 0, 0, 0, 0))
        day_journals = [j for j in journals if j[0] == day]
        held = [j for j in day_journals if not j[6]]
        summaries.append(
            DaySummary(
                business_date=day,
                landed=landed,
                loaded=loaded,
                duplicates=dupes,
                quarantined=quarantined,
                open_exceptions=recon.get(day, "none"),
                journals_ready=len(day_journals) - len(held),
                journals_held=len(held),
                held_by=", ".join(sorted({c for j in held for c in j[7].split(", ") if c})),
            )
        )
    return summaries


def print_summary(settings: Settings, first: date, last: date, say: Say) -> None:
    header = (
        f"{'business day':<12} {'landed':>7} {'loaded':>7} {'dupes':>6} {'quar.':>6}  "
        f"{'journals ready/held':<34} open exceptions by kind"
    )
    say("\n" + header)
    say("-" * (len(header) + 30))
    summaries = day_summaries(settings, first, last)
    for s in summaries:
        journals = f"{s.journals_ready}/{s.journals_held}" + (
            f" ({s.held_by})" if s.held_by else ""
        )
        say(
            f"{s.business_date!s:<12} {s.landed:>7} {s.loaded:>7} {s.duplicates:>6} "
            f"{s.quarantined:>6}  {journals:<34} {s.open_exceptions}"
        )
    if not summaries:
        say("(no data for these days: nothing had landed for them)")
    say(
        "\nlanded = loaded + dupes + quar. (ops.quarantine); a held journal waits for its "
        "blocking checks (gl.journal_checks)\nand open exceptions (recon.exceptions); query "
        f"them in {settings.read_copy_path}."
    )
