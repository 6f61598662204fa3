"""Landing layer: the segments every source writes, and the end-of-day pull that writes some.

``landing/heartland/payment_transactions`` and ``…/settlement_batches`` are materialised by the
Heartland API pull (and filled in between by the webhook receiver, which the landing sensor
notices); ``…/pos_tickets`` comes from the POS relay only and is an external asset here.
"""

from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland.pull import PULLED_ENTITIES, SOURCE, pull_days
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.settings import load_settings

OWNERS = ["team:finance-data"]


def _landing_spec(entity: str, written_by: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["landing", SOURCE, entity],
        description=f"Immutable NDJSON segments under landing/{SOURCE}/{entity}/business_date=…/, "
        f"written by {written_by}.",
        group_name="landing",
        kinds={"ndjson"},
        owners=OWNERS,
        partitions_def=business_days,
    )


pos_tickets_landing = _landing_spec(
    "pos_tickets", "the POS relay (webhook receiver) and the sandbox"
)


@dg.multi_asset(
    name="heartland_api_pull",
    specs=[
        _landing_spec(
            entity, "the end-of-day Heartland API pull, the webhook receiver and the sandbox"
        )
        for entity in PULLED_ENTITIES
    ],
    partitions_def=business_days,
    backfill_policy=single_run_backfill,
    description="Pull the business day(s) from the Heartland API (GP-API /transactions and "
    "/batches) into landing segments. Events the webhook receiver already landed keep their id "
    "and are counted as duplicates by the raw layer, so a partly lost day is completed.",
)
def heartland_api_pull(
    context: dg.AssetExecutionContext,
    heartland: HeartlandClient,
    landing: LandingZoneResource,
    mappings: MappingsResource,
):
    days = partition_dates(context)
    zones = StoreZones.from_mappings(Path(mappings.directory), load_settings().merchant_timezone)
    with heartland.open() as api:
        report = pull_days(api, landing.zone, days, zones)
    for entity in PULLED_ENTITIES:
        landed = report.landed[entity]
        if report.flagged[entity]:
            context.log.warning(
                f"{entity}: {report.flagged[entity]} API row(s) could not be identified and were "
                "landed flagged for quarantine"
            )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["landing", SOURCE, entity]),
            metadata={
                "events_landed": sum(landed.values()),
                "events_by_day": dg.MetadataValue.json(dict(sorted(landed.items()))),
                "flagged_for_quarantine": report.flagged[entity],
                "outside_requested_days": report.outside_days[entity],
                "api_pages": report.pages[entity],
                "segments": dg.MetadataValue.json(report.segments),
            },
        )
