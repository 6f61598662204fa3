"""The demo's Heartland Retail side: the simulator on loopback over the store the sandbox wrote,
and `heartland_retail_pull_job` run against it, as production pulls Heartland Retail.

Heartland Retail has no ticket webhooks (docs/heartland_retail.md), so POS tickets reach the
landing zone only through this pull: the history once before its days are loaded, the live day
by a trading-hours pull of its tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg

from hl_d365_assets.defs.landing.assets import RETAIL_KEYS, TICKETS_KEY, heartland_retail_pull
from hl_d365_assets.defs.landing.jobs import heartland_retail_pull_job
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.sandbox.heartland_retail_simulator import (
    HeartlandRetailSimulator,
    SimulatorServer,
    serve,
)
from hl_d365_assets.sandbox.heartland_retail_store import load_store
from hl_d365_assets.sandbox.resources import heartland_retail_client
from hl_d365_assets.settings import Settings

QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
RETAIL_URL_SETTING = "HEARTLAND_RETAIL_SANDBOX_URL"
"""What the demo sets for the processes it starts (the Dagster daemon), so a scheduled Retail
pull they launch reaches the demo's simulator on its free port, not the default one."""

Say = Callable[[str], None]


@contextmanager
def retail_simulator(store_dir: Path) -> Iterator[SimulatorServer]:
    """The Retail simulator serving ``store_dir`` on a free loopback port (not the wiring's default
    port, which another simulator on this machine may hold)."""
    with serve(HeartlandRetailSimulator(store_dir)) as server:
        yield server


def reload_store(server: SimulatorServer, store_dir: Path) -> None:
    """The tickets the sandbox appended to the store since the simulator started are now sold:
    the simulator serves them from here on, as Heartland would once the registers upload them."""
    server.simulator.store = load_store(store_dir)


def forget_ticket_cursor(instance: dg.DagsterInstance) -> None:
    """A fresh demo starts with an empty landing zone, so the pull's ticket cursor (kept in the
    instance's event log for landing/heartland_retail/tickets) must start afresh too: a cursor
    left by an earlier demo would skip this week's tickets as already pulled."""
    instance.wipe_assets(list(RETAIL_KEYS.values()))


def pull_retail(
    settings: Settings,
    server: SimulatorServer,
    instance: dg.DagsterInstance,
    *,
    snapshot_day: date,
    tickets_only: bool = False,
) -> dg.ExecuteInProcessResult:
    """``heartland_retail_pull_job`` against ``server``: every entity (reference data and stock
    dated ``snapshot_day``), or only the tickets, as the trading-hours schedule pulls them."""
    from hl_d365_assets.definitions import defs

    resources = {
        **build_resources(settings),
        "heartland_retail": heartland_retail_client(server.base_url),
    }
    run_config = {
        **QUIET_CONSOLE,
        "ops": {"heartland_retail_pull": {"config": {"snapshot_date": snapshot_day.isoformat()}}},
    }
    if tickets_only:
        # A subset of the job cannot take resources other than the definitions' own, so the
        # tickets are materialised as the trading-hours schedule selects them: the asset alone.
        return dg.materialize(
            [heartland_retail_pull],
            selection=[TICKETS_KEY],
            instance=instance,
            resources=resources,
            run_config=run_config,
            raise_on_error=False,
        )
    return defs.resolve_job_def(heartland_retail_pull_job.name).execute_in_process(
        instance=instance, resources=resources, raise_on_error=False, run_config=run_config
    )


def landed_summary(result: dg.ExecuteInProcessResult) -> str:
    """``12,345 tickets (4 days), 6 locations, ...`` from the pull's materialisations."""
    if not result.success:
        return "FAILED (see `make ui`)"
    parts = []
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        entity = materialization.asset_key.path[-1]
        records = materialization.metadata["records_landed"].value
        days = materialization.metadata["records_by_day"].value or {}
        parts.append(f"{records:,} {entity}" + (f" ({len(days)} days)" if len(days) > 1 else ""))
    return ", ".join(parts)
