"""`make demo`, many merchants: a small day of each of the sandbox's three tenants, run at the same
time, each into its own warehouse; one tenant's day is held back and the others' are not.

The three runs are the daily job the UI offers, each tagged with its tenant (``hl_d365/tenant``),
each in its own process (as Dagster's run launcher runs them) against the demo's instance, so `make ui` shows them and the
Runs page filters them by tenant (docs/tenants.md).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date

import dagster as dg
from dagster._core.instance.ref import InstanceRef

from hl_d365_assets.backfill import day_summaries
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.sandbox.tenant_days import SANDBOX_TENANTS_FILE, land_days
from hl_d365_assets.settings import Settings, load_settings
from hl_d365_assets.tenants import (
    TENANTS_FILE_ENV,
    load_tenants,
    settings_for_tenant,
    tenant_settings,
    tenant_tags,
)

QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
TRANSACTIONS_PER_STORE = 60
"""Small days: the section shows isolation and concurrency, not volume (about 120 tickets a
tenant), so it adds well under two minutes to the demo."""
HELD_TENANT = "contoso_west"
"""Its day carries a tender no mapping names, so ``inputs_mapped`` holds its journal back."""

Say = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class TenantOutcome:
    tenant: str
    run_id: str
    success: bool
    seconds: float
    journals_ready: int
    journals_held: int
    held_by: str


@contextmanager
def sandbox_tenants(settings: Settings) -> Iterator[Settings]:
    """The demo serves the sandbox's tenants file unless the deployment names its own: this
    process's runs resolve their tenant through ``HL_D365_TENANTS_FILE``, as a code server
    would."""
    if settings.tenants_file is not None:
        yield settings
        return
    previous = os.environ.get(TENANTS_FILE_ENV)
    os.environ[TENANTS_FILE_ENV] = str(SANDBOX_TENANTS_FILE)
    try:
        yield load_settings()
    finally:
        if previous is None:
            os.environ.pop(TENANTS_FILE_ENV, None)
        else:
            os.environ[TENANTS_FILE_ENV] = previous


def run_tenant_days(
    instance: dg.DagsterInstance, settings: Settings, day: date
) -> list[TenantOutcome]:
    """Land a small ``day`` for every tenant of ``settings`` and run the daily job for it, all
    tenants at once, one tagged run each; then read each tenant's journals back."""
    tenants = load_tenants(settings)
    # One process per tenant, as Dagster's run launcher gives each run its own: Dagster's
    # in-process execution reconfigures logging when a run starts, which deadlocks against
    # another run's log handler in a second thread of the same process (seen here).
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(tenants), mp_context=spawn) as pool:
        runs = list(
            pool.map(
                land_and_run_tenant_day,
                [instance.get_ref()] * len(tenants),
                list(tenants),
                [day.isoformat()] * len(tenants),
            )
        )
    outcomes = []
    for tenant_id, run_id, success, seconds in runs:
        own = tenant_settings(settings, tenants[tenant_id])
        summary = next(iter(day_summaries(own, day, day)), None)
        outcomes.append(
            TenantOutcome(
                tenant=tenant_id,
                run_id=run_id,
                success=success,
                seconds=seconds,
                journals_ready=summary.journals_ready if summary else 0,
                journals_held=summary.journals_held if summary else 0,
                held_by=summary.held_by if summary else "",
            )
        )
    return outcomes


def land_and_run_tenant_day(
    instance_ref: InstanceRef, tenant_id: str, day: str
) -> tuple[str, str, bool, float]:
    """In a child process: land a fresh small ``day`` for ``tenant_id`` (the held tenant's with a
    tender no mapping names), then run the daily job for it as the tenant's run.
    Returns (tenant, run id, success, seconds of landing and run)."""
    from hl_d365_assets.definitions import defs

    started = time.perf_counter()
    own = settings_for_tenant(load_settings(), tenant_id)
    for stale in ("landing", "sandbox"):
        shutil.rmtree(own.data_dir / stale, ignore_errors=True)
    for stale_file in (own.warehouse_path, own.read_copy_path):
        stale_file.unlink(missing_ok=True)
    defects = DefectRates.none()
    if tenant_id == HELD_TENANT:
        defects = dataclasses.replace(defects, unknown_payment_type=0.05)
    business_day = date.fromisoformat(day)
    land_days(
        own,
        [business_day],
        SandboxConfig(
            seed=sum(map(ord, tenant_id)),
            transactions_per_store_day=TRANSACTIONS_PER_STORE,
            mappings_dir=own.mappings_dir,
            defect_rates=defects,
        ),
    )
    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        result = defs.resolve_job_def(daily_heartland_job.name).execute_in_process(
            partition_key=day,
            instance=instance,
            tags=tenant_tags(tenant_id),
            raise_on_error=False,
            run_config=QUIET_CONSOLE,
        )
    return tenant_id, result.run_id, result.success, time.perf_counter() - started


def tenants_act(instance: dg.DagsterInstance, day: date, say: Say) -> bool:
    """The demo's tenants section; True when every tenant's run succeeded and only the held
    tenant's journals are held."""
    started = time.perf_counter()
    with sandbox_tenants(load_settings()) as settings:
        tenants = load_tenants(settings)
        say(
            f"  tenants file {settings.tenants_file}: "
            + ", ".join(
                f"{t.id} ({'/'.join(t.stores)}, {t.base_currency}, {t.time_zone})"
                for t in tenants.values()
            )
        )
        outcomes = run_tenant_days(instance, settings, day)
    for o in outcomes:
        journals = f"{o.journals_ready} ready / {o.journals_held} held" + (
            f" (held by {o.held_by})" if o.held_by else ""
        )
        say(
            f"  {o.tenant:<13} run {o.run_id[:8]} {'ok' if o.success else 'FAILED'} in "
            f"{o.seconds:.1f}s (landing and run): {journals}; warehouse "
            f"{tenant_settings(settings, tenants[o.tenant]).warehouse_path}"
        )
    say(
        f"  three tenants' days in {time.perf_counter() - started:.1f}s, runs at the same time; "
        "in `make ui`, Runs > filter tag hl_d365/tenant=<id> shows one tenant's days"
    )
    return all(o.success for o in outcomes) and all(
        (o.journals_held > 0) == (o.tenant == HELD_TENANT) and o.journals_ready + o.journals_held
        for o in outcomes
    )
