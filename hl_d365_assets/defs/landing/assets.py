"""Landing layer: the segments every source writes, and the pulls that write some.

``landing/heartland/payment_transactions`` and ``…/settlement_batches`` are materialised by the
Heartland API pull (and filled in between by the webhook receiver, which the landing sensor
notices). POS tickets come from Heartland Retail: ``landing/heartland_retail/*`` is materialised
by the Heartland Retail pull (tickets by business day, reference data and stock as dated
snapshots). ``landing/d365/*`` is materialised by the D365 OData pull, and loaded by raw.d365_*
in the same job (``d365_pull_job``), not by the landing sensor.

D365 orders in: ``landing/d365/business_events`` is written by the webhook receiver
(``webhook/d365_events.py``) under the merchant's date of each EventTime, and loaded into
raw.d365_business_events like Heartland's events. ``landing/d365/targeted_order_pulls`` is the
pull of exactly the orders new events named (``d365/order_refresh.py``), requested by
``d365_order_events_sensor``: it lands its records under ``landing/d365/sales_orders`` and
``…/sales_order_lines`` as the nightly pull does, and raw.d365_sales_orders / lines apply it.
The nightly poll on OrderCreationDateTime stays as the fallback for events that never came.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
from pydantic import Field

from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.d365 import pull as d365_pull_logic
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.order_events import parse_order_config
from hl_d365_assets.d365.order_refresh import group_orders, refresh_orders
from hl_d365_assets.d365.pull import SALES_ORDER_LINES, SALES_ORDERS
from hl_d365_assets.d365.raw_load import d365_fields, orders_held
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland.pull import PULLED_ENTITIES, RESOURCES, SOURCE, pull_days
from hl_d365_assets.heartland_retail import pull as retail
from hl_d365_assets.heartland_retail.client import HeartlandRetailClient
from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
from hl_d365_assets.order_payments.poll import open_orders, poll_orders
from hl_d365_assets.payroll_inbox import MANIFEST_ENTITY, MANIFEST_SOURCE
from hl_d365_assets.raw_loader import BANK_SOURCE, PAYROLL_SOURCE
from hl_d365_assets.resources import LandingZoneResource, MappingsResource
from hl_d365_assets.tenants import run_settings
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
    zones = StoreZones.from_mappings(
        Path(mappings.directory), run_settings(context).merchant_timezone
    )
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
    snapshot_date: str = Field(
        default="",
        pattern=r"^(\d{4}-\d{2}-\d{2})?$",
        description="The business day the pull lands under (YYYY-MM-DD), and so the date of its "
        "on-hand snapshot; empty: the merchant's date of the pull. For comparing stock of a day "
        "whose D365 snapshot was not taken on it (as the Heartland Retail pull's snapshot_date).",
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
            api,
            landing.zone,
            fields,
            window,
            time_zone(run_settings(context).merchant_timezone),
            date.fromisoformat(config.snapshot_date) if config.snapshot_date else None,
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


PAYMENT_NOTIFICATIONS_KEY = dg.AssetKey(["landing", SOURCE, "payment_notifications"])


@dg.asset(
    key=PAYMENT_NOTIFICATIONS_KEY,
    description="Immutable NDJSON segments under landing/heartland/payment_notifications/"
    "business_date=…/: the outcomes of D365 orders' payments, posted by GP to our links' "
    "status_url (the webhook receiver) and, materialising this asset, polled from GP-API "
    "(GET /transactions?reference=<order>) for every open payment request, so a lost "
    "notification is caught. The same state landed twice is counted as a duplicate by raw.",
    group_name="landing",
    kinds={"ndjson"},
    owners=OWNERS,
    # Reads the open requests from ops.payment_requests, then lets go of the warehouse.
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def payment_notifications_poll(
    context: dg.AssetExecutionContext,
    heartland: HeartlandClient,
    landing: LandingZoneResource,
    mappings: MappingsResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    settings = run_settings(context)
    with warehouse.writer() as conn:
        orders = open_orders(conn)
    zones = StoreZones.from_mappings(Path(mappings.directory), settings.merchant_timezone)
    with heartland.open() as api:
        report = poll_orders(api, landing.zone, orders, zones, datetime.now(UTC).date())
    if report.flagged:
        context.log.warning(
            f"payment poll: {report.flagged} row(s) GP returned are not usable transactions; "
            "landed flagged for quarantine"
        )
    return dg.MaterializeResult(
        metadata={
            "open_orders_polled": report.orders,
            "transactions_found": report.transactions_found,
            "events_landed": sum(report.landed.values()),
            "events_by_day": dg.MetadataValue.json(dict(report.landed)),
            "flagged_for_quarantine": report.flagged,
            "segments": dg.MetadataValue.json(report.segments),
        }
    )


RETAIL_KEYS = {
    entity: dg.AssetKey(["landing", retail.SOURCE, entity]) for entity in retail.ENTITIES
}
TICKETS_KEY = RETAIL_KEYS[retail.TICKETS]
TICKET_CURSOR = "ticket_cursor"


class RetailPullConfig(dg.Config):
    edit_overlap_minutes: int = Field(
        default=0,
        ge=0,
        description="Re-read ticket edits saved this long before the cursor's edit position "
        "(the closing run): catches an edit saved while an earlier pull ran, whose updated_at "
        "fell below a new ticket's. Versions read again are duplicates the raw layer counts.",
    )
    snapshot_date: str = Field(
        default="",
        pattern=r"^(\d{4}-\d{2}-\d{2})?$",
        description="The business day the reference-data and stock snapshots land under "
        "(YYYY-MM-DD); empty: the merchant's date of the pull. Loading history (a backfill, the "
        "sandbox demo) dates them on its first day, so every day loaded sees them.",
    )


@dg.multi_asset(
    name="heartland_retail_pull",
    specs=[
        dg.AssetSpec(
            key=RETAIL_KEYS[entity],
            description=f"Immutable NDJSON segments under landing/{retail.SOURCE}/{entity}/"
            "business_date=…/, written by the Heartland Retail pull: "
            + (
                "every ticket version once, under its business day in its location's zone."
                if entity == retail.TICKETS
                else "a snapshot dated by the merchant's date of the pull."
            ),
            group_name="landing",
            kinds={"ndjson"},
            owners=OWNERS,
            skippable=True,
        )
        for entity in retail.ENTITIES
    ],
    can_subset=True,
    # A pool of one slot (dagster.yaml): two pulls never read the same ticket cursor at once.
    pool="heartland_retail",
    description="Pull Heartland Retail into landing segments: tickets incrementally (a cursor on "
    "id, and on updated_at for edits, kept in this asset's metadata and observed after every "
    "committed page so a failed run resumes without loss or duplicates), locations, payment "
    "types, items, customers and stock as dated snapshots. Select a subset to pull only those.",
)
def heartland_retail_pull(
    context: dg.AssetExecutionContext,
    config: RetailPullConfig,
    heartland_retail: HeartlandRetailClient,
    landing: LandingZoneResource,
    mappings: MappingsResource,
):
    entities = [e for e in retail.ENTITIES if RETAIL_KEYS[e] in context.selected_asset_keys]
    settings = run_settings(context)
    zones = StoreZones.from_mappings(Path(mappings.directory), settings.merchant_timezone)
    cursor = latest_ticket_cursor(context.instance)

    def observe(moved: TicketCursor) -> None:
        context.log_event(
            dg.AssetObservation(
                asset_key=TICKETS_KEY,
                metadata={TICKET_CURSOR: dg.MetadataValue.json(moved.as_json())},
            )
        )

    with heartland_retail.open() as api:
        report = retail.pull(
            api,
            landing.zone,
            entities=entities,
            zones=zones,
            snapshot_day=(
                date.fromisoformat(config.snapshot_date)
                if config.snapshot_date
                else datetime.now(time_zone(settings.merchant_timezone)).date()
            ),
            cursor=cursor,
            on_chunk=observe,
            edit_overlap=timedelta(minutes=config.edit_overlap_minutes),
            first_business_day=settings.first_business_day,
        )
    for entity in entities:
        cpu = report.page_cpu_seconds[entity]
        metadata: dict[str, object] = {
            "records_landed": report.records(entity),
            "records_by_day": dg.MetadataValue.json(dict(sorted(report.landed[entity].items()))),
            "api_pages": report.pages[entity],
            "flagged_for_quarantine": report.flagged[entity],
            "cpu_seconds_per_page": dg.MetadataValue.json(
                {"mean": round(sum(cpu) / len(cpu), 4), "max": round(max(cpu), 4)} if cpu else {}
            ),
        }
        if entity == retail.TICKETS:
            metadata |= {
                TICKET_CURSOR: dg.MetadataValue.json(report.cursor.as_json()),
                "cursor_at_start": dg.MetadataValue.json(cursor.as_json()),
                "new_tickets": report.new_tickets,
                "edited_versions": report.edited_versions,
            }
        else:
            metadata["snapshot_date"] = report.snapshot_day
        yield dg.MaterializeResult(asset_key=RETAIL_KEYS[entity], metadata=metadata)


def latest_ticket_cursor(instance: dg.DagsterInstance) -> TicketCursor:
    """The cursor of the newest committed chunk: the last materialisation, or an observation
    logged after it by a run that failed half-way (whichever the event log stored last)."""
    newest = [
        record
        for fetched in (
            instance.fetch_materializations(TICKETS_KEY, limit=1),
            instance.fetch_observations(TICKETS_KEY, limit=1),
        )
        for record in fetched.records
    ]
    if not newest:
        return TicketCursor()
    record = max(newest, key=lambda r: r.storage_id)
    event = record.asset_materialization or record.asset_observation
    value = event.metadata.get(TICKET_CURSOR) if event is not None else None
    return TicketCursor.from_json(value.value if value is not None else None)


# -- D365 orders in: business events and the targeted pull they trigger -------------------

BUSINESS_EVENTS_KEY = dg.AssetKey(["landing", "d365", "business_events"])
RAW_BUSINESS_EVENTS_KEY = dg.AssetKey(["raw", "d365_business_events"])
TARGETED_PULL_KEY = dg.AssetKey(["landing", "d365", "targeted_order_pulls"])

business_events_landing = dg.AssetSpec(
    key=BUSINESS_EVENTS_KEY,
    description="Immutable NDJSON segments under landing/d365/business_events/business_date=…/ "
    "(the merchant's date of EventTime), written by the webhook receiver: one line per D365 "
    "business event, its EventId as event_id; redeliveries acknowledged and not landed again.",
    group_name="landing",
    kinds={"d365", "ndjson"},
    owners=OWNERS,
    partitions_def=business_days,
)


class TargetedPullConfig(dg.Config):
    orders: list[str] = Field(
        default_factory=list,
        description="The sales orders to read from D365 now, as <legal entity>/<order number> "
        "(the sensor names those its new business events named).",
    )
    trigger: str = Field(
        default="", description="Why: the business events that named the orders (a summary)."
    )


@dg.asset(
    key=TARGETED_PULL_KEY,
    deps=[RAW_BUSINESS_EVENTS_KEY],
    description="Pull exactly the sales orders new business events named (SalesOrderHeadersV2 by "
    "SalesOrderNumber, then their SalesOrderLines) and land them under landing/d365/sales_orders "
    "and …/sales_order_lines as an incremental pull: the event says which order changed, D365's "
    "answer says what it now is, so a duplicated or out-of-order event cannot roll it back.",
    group_name="d365",
    kinds={"d365", "ndjson"},
    owners=OWNERS,
    # Reads raw.d365_* for the $select lists, as the nightly pull does.
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def targeted_order_pull(
    context: dg.AssetExecutionContext,
    config: TargetedPullConfig,
    d365: D365Client,
    landing: LandingZoneResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    orders = group_orders(parse_order_config(config.orders))
    with warehouse.writer() as conn:
        fields = d365_fields(conn)
    with d365.open() as api:
        report = refresh_orders(
            api,
            landing.zone,
            fields,
            orders,
            time_zone(run_settings(context).merchant_timezone),
            trigger=config.trigger,
        )
    named = sum(len(numbers) for numbers in orders.values())
    found = report.records[SALES_ORDERS.table]
    if found < named:
        context.log.warning(
            f"{named - found} of {named} named sales order(s) not found in D365 (deleted since "
            "the event?); their rows stay until the next full pull"
        )
    return dg.MaterializeResult(
        metadata={
            "orders_named": named,
            "orders_found": found,
            "lines_found": report.records[SALES_ORDER_LINES.table],
            "pulled_at": report.pulled_at.isoformat(timespec="milliseconds"),
            "business_date": report.business_date.isoformat(),
            "fetch_seconds": round(report.fetch_seconds, 3),
            "trigger": config.trigger,
        }
    )


payroll_drop_landing = [
    dg.AssetSpec(
        key=["landing", source, entity],
        description=f"Immutable NDJSON segments under landing/{source}/{entity}/business_date=…/, "
        f"written by payroll_inbox_sensor from the files dropped in the payroll inbox: {what} "
        "(docs/payroll-intake.md).",
        group_name="landing",
        kinds={"ndjson"},
        owners=OWNERS,
        partitions_def=business_days,
    )
    for source, entity, what in (
        (PAYROLL_SOURCE, "register", "one line per register row, under its check date"),
        (BANK_SOURCE, "statement_lines", "one line per statement row, under its booking date"),
        (
            MANIFEST_SOURCE,
            MANIFEST_ENTITY,
            "one line per file received, under the merchant's day it was picked up",
        ),
    )
]
