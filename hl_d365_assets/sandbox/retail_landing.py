"""Land the sandbox's Heartland Retail store the way production lands Heartland Retail: the real
pull (heartland_retail/pull.py) through the real client, against the Retail simulator served in
process over the store the generator wrote.

For tests and tools that need a day's POS tickets in the landing zone without a Dagster run;
the demo runs ``heartland_retail_pull_job`` against the simulator on loopback instead.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland_retail.pull import ENTITIES, RetailPullReport, pull
from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.heartland_retail_simulator import HeartlandRetailSimulator
from hl_d365_assets.sandbox.resources import heartland_retail_client


def land_retail_store(
    zone: LandingZone,
    store_dir: Path,
    *,
    mappings_dir: Path,
    merchant_timezone: str,
    snapshot_day: date,
    cursor: TicketCursor | None = None,
    entities: tuple[str, ...] = ENTITIES,
) -> RetailPullReport:
    """Pull ``entities`` of the store at ``store_dir`` into ``zone``: each ticket under its own
    business day, reference data and stock as a snapshot dated ``snapshot_day``. Pass the
    report's ``cursor`` back to pull only what changed since."""
    simulator = HeartlandRetailSimulator(store_dir)
    with heartland_retail_client().open(transport=simulator.transport()) as api:
        return pull(
            api,
            zone,
            entities=entities,
            zones=StoreZones.from_mappings(mappings_dir, merchant_timezone),
            snapshot_day=snapshot_day,
            cursor=cursor or TicketCursor(),
        )
