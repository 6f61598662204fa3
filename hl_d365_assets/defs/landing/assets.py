"""Landing layer: the segments every source writes, and the pulls that write some.

``landing/heartland/payment_transactions`` and ``…/settlement_batches`` are materialised by the
Heartland API pull (and filled in between by the webhook receiver, which the landing sensor
notices); ``…/pos_tickets`` comes from the POS relay only and is an external asset here.
``landing/d365/*`` is materialised by the D365 OData pull, and loaded by raw.d365_* in the same
job (``d365_pull_job``), not by the landing sensor.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.d365 import pull as d365_pull_logic
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.raw_load import d365_fields, orders_held
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland.pull import PULLED_ENTITIES, RESOURCES, SOURCE, pull_days
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.time_zones import zone as time_zone
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource

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
receiver_refusals_landing = _landing_spec(
    "receiver_refusals",
    "the webhook receiver: counts of the requests it refused per day and reason code, no payload",
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
        landed = report.landed_by_day(entity)
        empty_days = [day for day, events in landed.items() if not events]
        if report.flagged[entity]:
            context.log.warning(
                f"{entity}: {report.flagged[entity]} API row(s) could not be identified and were "
                "landed flagged for quarantine"
            )
        if empty_days:
            # Not an error here: the pull cannot tell a quiet day from one the source does not
            # hold. raw's volume_vs_recent_days check compares it with recent days and warns.
            context.log.warning(
                f"{entity}: GET /{RESOURCES[entity]} for {report.api_dates[0]}..{report.api_dates[1]} "
                f"returned no events for {', '.join(empty_days)}"
            )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["landing", SOURCE, entity]),
            metadata={
                "requested_business_days": f"{days[0]}..{days[-1]}",
                "api_request": f"GET /{RESOURCES[entity]} time_created "
                f"{report.api_dates[0]}..{report.api_dates[1]} (UTC dates)",
                "api_rows_received": report.received[entity],
                "events_landed": sum(landed.values()),
                "events_by_day": dg.MetadataValue.json(landed),
                "days_without_events": empty_days,
                "flagged_for_quarantine": report.flagged[entity],
                "outside_requested_days": report.outside_days[entity],
                "api_pages": report.pages[entity],
                "segments": dg.MetadataValue.json(report.segments),
            },
        )


class D365PullConfig(dg.Config):
    full_sales_order_pull: bool = Field(
        default=False,
        description="Pull every sales order and line and replace the tables, as on Sundays: "
        "catches orders changed or deleted in D365, which the daily pull by creation time misses.",
    )
    overlap_minutes: int = Field(
        default=60,
        ge=0,
        description="The daily pull re-reads orders created this long before the newest order "
        "held, for orders D365 committed after a later one was already pulled.",
    )


@dg.multi_asset(
    name="d365_pull",
    specs=[
        dg.AssetSpec(
            key=entity.landing_key,
            description=f"Immutable NDJSON segments under landing/{d365_pull_logic.SOURCE}/"
            f"{entity.entity}/business_date=…/ (the merchant's date of the pull): D365 "
            f"{entity.entity_set} records, written by the D365 OData pull.",
            group_name="landing",
            kinds={"d365", "ndjson"},
            owners=OWNERS,
            metadata={"d365/entity_set": entity.entity_set},
        )
        for entity in d365_pull_logic.ENTITIES
    ],
    description="Pull D365 Finance's chart of accounts, dimension values, customers, released "
    "products and sales orders (all legal entities) into landing segments. Full pulls for the "
    "entities without a modification timestamp; sales orders incrementally by creation time, "
    "in full on Sundays. raw.d365_* loads them.",
    # Reads raw.d365_* for the $select lists and the sales-order watermark.
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def d365_pull(
    context: dg.AssetExecutionContext,
    config: D365PullConfig,
    d365: D365Client,
    landing: LandingZoneResource,
    warehouse: WarehouseResource,
):
    # Read what the tables hold first, then talk to D365 without holding the warehouse lock.
    with warehouse.writer() as conn:
        fields = d365_fields(conn)
        held, newest = orders_held(conn)
    window = d365_pull_logic.order_window(
        held,
        newest,
        full_requested=config.full_sales_order_pull,
        overlap_minutes=config.overlap_minutes,
    )
    with d365.open() as api:
        report = d365_pull_logic.pull_to_landing(
            api, landing.zone, fields, window, time_zone(load_settings().merchant_timezone)
        )
    context.log.info(
        f"D365 pull: {sum(report.records.values())} records in {sum(report.pages.values())} "
        f"pages landed under business_date={report.business_date}; sales orders {window.reason}"
    )
    for entity in d365_pull_logic.ENTITIES:
        yield dg.MaterializeResult(
            asset_key=entity.landing_key,
            metadata={
                "records_landed": report.records[entity.table],
                "pages_fetched": report.pages[entity.table],
                "business_date": report.business_date.isoformat(),
                "pulled_at": report.pulled_at.isoformat(timespec="milliseconds"),
                "fetch_seconds": round(report.fetch_seconds, 3),
                "segments": dg.MetadataValue.json(
                    [p.name for p in report.segments if p.parent.parent.name == entity.entity]
                ),
            },
        )
