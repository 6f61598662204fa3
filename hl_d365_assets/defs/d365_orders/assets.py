"""D365 orders in: business events land, name orders, and the named orders are pulled now.

- ``landing/d365/business_events``: written by the webhook receiver (``webhook/d365_events.py``),
  one segment per few seconds, under the merchant's date of each event's EventTime; loaded into
  raw.d365_business_events by the raw layer like Heartland's events (``defs/raw``).
- ``landing/d365/targeted_order_pulls``: the targeted pull (``d365/order_refresh.py``) of the
  orders the sensor found named in new events. It lands its records under
  ``landing/d365/sales_orders`` and ``…/sales_order_lines`` as the nightly pull does, which
  raw.d365_sales_orders / raw.d365_sales_order_lines then apply (they depend on this asset).
- ``canonical.sales_orders`` and ``canonical.sales_order_lines``: the orders as D365 last
  answered, with the newest event received for each (by ControlNumber). Not per business day:
  an order is current state, rebuilt whole (a few thousand rows).

The nightly poll on OrderCreationDateTime (``d365_pull``) stays: it catches the orders whose
event never arrived (D365 parked it on its Errors tab, the receiver was down past the retries).
"""

import time

import dagster as dg
from pydantic import Field

from hl_d365_assets.business_day import business_days
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.order_events import parse_order_config
from hl_d365_assets.d365.order_refresh import group_orders, refresh_orders
from hl_d365_assets.d365.pull import SALES_ORDER_LINES, SALES_ORDERS
from hl_d365_assets.d365.raw_load import d365_fields
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.table_metadata import definition_metadata
from hl_d365_assets.time_zones import zone as time_zone
from hl_d365_assets.warehouse import (
    WAREHOUSE_RETRY,
    WarehouseResource,
    run_script,
    sql_file,
    transaction,
)

OWNERS = ["team:finance-data"]
BUSINESS_EVENTS_KEY = dg.AssetKey(["landing", "d365", "business_events"])
RAW_BUSINESS_EVENTS_KEY = dg.AssetKey(["raw", "d365_business_events"])
TARGETED_PULL_KEY = dg.AssetKey(["landing", "d365", "targeted_order_pulls"])
CANONICAL_TABLES = {
    "sales_orders": "D365 sales orders in their current state (as D365 last answered for them), "
    "one row per legal entity and order: customers, currency, exact totals, status fields and a "
    "cancelled flag, payment method, warehouse, creation time, and the newest business event "
    "received for the order (by ControlNumber).",
    "sales_order_lines": "D365 sales order lines in their current state, one row per line, "
    "exact quantities, prices and amounts, cancelled with their order.",
}
CANONICAL_KEYS = [dg.AssetKey(["canonical", table]) for table in CANONICAL_TABLES]

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
            time_zone(load_settings().merchant_timezone),
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


@dg.multi_asset(
    name="canonical_sales_orders",
    specs=[
        dg.AssetSpec(
            key=["canonical", table],
            deps=[SALES_ORDERS.key, SALES_ORDER_LINES.key, RAW_BUSINESS_EVENTS_KEY],
            description=description,
            metadata=definition_metadata(f"canonical.{table}"),
            # With raw.d365_*: current state, not a business day, so not in the daily job.
            group_name="d365",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
        )
        for table, description in CANONICAL_TABLES.items()
    ],
    pool="warehouse",
    retry_policy=WAREHOUSE_RETRY,
)
def canonical_sales_orders(warehouse: WarehouseResource):
    started = time.perf_counter()
    with warehouse.writer() as conn:
        with transaction(conn):
            for table in CANONICAL_TABLES:
                run_script(conn, sql_file(f"canonical/insert_{table}.sql"))
        [(orders, lines, cancelled, with_events)] = conn.execute(
            sql_file("canonical/summarise_sales_orders.sql")
        ).fetchall()
    seconds = round(time.perf_counter() - started, 3)
    yield dg.MaterializeResult(
        asset_key=CANONICAL_KEYS[0],
        metadata={
            "dagster/row_count": orders,
            "dagster/table_name": "warehouse.canonical.sales_orders",
            "cancelled_orders": cancelled,
            "orders_with_events": with_events,
            "compute_seconds": seconds,
        },
    )
    yield dg.MaterializeResult(
        asset_key=CANONICAL_KEYS[1],
        metadata={
            "dagster/row_count": lines,
            "dagster/table_name": "warehouse.canonical.sales_order_lines",
            "compute_seconds": seconds,
        },
    )
