"""The demo's stock act: Heartland Retail's stock of the live day against D365's on-hand.

The sandbox opens each store's D365 warehouse at its Retail stock of the day with two known
differences (``sandbox/d365_on_hand.py``); D365 learns of a store's POS sales only once its journal
is posted (the sandbox's statement posting stands in for D365 Commerce). The act runs before the
week is posted, so the live day's sales explain the stores' differences, and the two injected
ones stand out. Both pulls take their snapshot for the live day (``snapshot_date``), the day's
run compares them (``recon/inventory``), and the per-store summary is printed (docs/stock.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg

from hl_d365_assets.demo.posting import QUIET_CONSOLE, SandboxD365
from hl_d365_assets.demo.retail_pull import pull_retail
from hl_d365_assets.sandbox import load_stores
from hl_d365_assets.sandbox.d365_on_hand import post_pos_sales_of_day, seed_on_hand_from_retail
from hl_d365_assets.sandbox.heartland_retail_simulator import SimulatorServer
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import open_for_analysis, sql_file

Say = Callable[[str], None]


def compare_stock(
    settings: Settings,
    d365: SandboxD365,
    retail: SimulatorServer,
    retail_dir: Path,
    day: date,
    say: Say,
) -> bool:
    """Seed, snapshot both systems for ``day``, compare; print it. False when a run failed."""
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.landing.jobs import d365_pull_job
    from hl_d365_assets.defs.ops.jobs import daily_heartland_job

    seed_on_hand_from_retail(d365.sim, retail_dir, settings.mappings_dir, day)
    posted = _stores_posted(settings, day)
    if posted:
        post_pos_sales_of_day(d365.sim, retail_dir, settings.mappings_dir, day, posted)
    with dg.DagsterInstance.get() as instance:
        runs = [
            pull_retail(settings, retail, instance, snapshot_day=day),
            defs.resolve_job_def(d365_pull_job.name).execute_in_process(
                instance=instance,
                resources=d365.resources,
                raise_on_error=False,
                run_config={
                    "ops": {"d365_pull": {"config": {"snapshot_date": day.isoformat()}}},
                    **QUIET_CONSOLE,
                },
            ),
            defs.resolve_job_def(daily_heartland_job.name).execute_in_process(
                partition_key=day.isoformat(),
                instance=instance,
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            ),
        ]
    if not all(run.success for run in runs):
        say("  stock comparison FAILED (see `make ui`)")
        return False
    say(
        f"  Heartland Retail's stock and D365's on-hand (WarehousesOnHandV2) snapshotted for {day}, "
        f"compared by the day's run (recon/inventory); stores whose journal D365 already holds, "
        f"so it knows their POS sales: {', '.join(sorted(posted)) or 'none yet'}"
    )
    conn = open_for_analysis(settings.read_copy_path)
    try:
        rows = conn.execute(sql_file("reports/demo_stock.sql")).fetchall()
    finally:
        conn.close()
    say(
        f"\n{'business day':<12} {'store':<6} {'D365 wh':<8} {'matched':>8} {'explained':>10} "
        f"{'differences':>12} {'missing':>8} {'unmapped':>9} {'units explained':>16}  open exceptions"
    )
    say("-" * 130)
    for row in rows:
        if row[0] != day:
            continue
        say(
            f"{row[0]!s:<12} {row[1]:<6} {row[2] or '-':<8} {row[3]:>8} {row[4]:>10} {row[5]:>12} "
            f"{row[6]:>8} {row[7]:>9} {row[8] or 0:>16}  {row[9]}"
        )
    say(
        "explained = differences the day's POS sales not yet posted to D365 account for; a "
        "difference beyond the\ntolerance (mappings/inventory_tolerances.csv) is an "
        "inventory_difference exception in recon.exceptions."
    )
    return True


def _stores_posted(settings: Settings, day: date) -> set[str]:
    """Stores whose legal entity and currency had the day's journal posted to D365."""
    conn = open_for_analysis(settings.read_copy_path)
    try:
        posted = set(
            conn.execute(sql_file("reports/demo_posted_stores.sql"), {"day": day}).fetchall()
        )
    finally:
        conn.close()
    return {
        store.store_id
        for store in load_stores(settings.mappings_dir)
        if (store.legal_entity, store.currency) in posted
    }
