"""The pull jobs: the Heartland API pull, the job a month's backfill from the API runs, the
Heartland Retail pull, the D365 pull (landing and raw.d365_* in one run), and the run a D365
business event triggers."""

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.d365.pull import ENTITIES as D365_ENTITIES
from hl_d365_assets.d365.pull import SALES_ORDER_LINES, SALES_ORDERS
from hl_d365_assets.defs.landing.assets import (
    PAYMENT_NOTIFICATIONS_KEY,
    RAW_BUSINESS_EVENTS_KEY,
    RETAIL_KEYS,
    TARGETED_PULL_KEY,
)
from hl_d365_assets.defs.ops.assets import ORDER_EVENTS_JOB, ORDER_PAYMENT_REQUESTS
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.heartland.pull import PULLED_ENTITIES, SOURCE

PULLED = dg.AssetSelection.assets(*(["landing", SOURCE, entity] for entity in PULLED_ENTITIES))

heartland_pull_job = dg.define_asset_job(
    name="heartland_pull_job",
    selection=PULLED,
    partitions_def=business_days,
    description="Pull one business day (or a range, in one run) from the Heartland API into the "
    "landing zone. The landing sensor then loads it.",
)

heartland_backfill_job = dg.define_asset_job(
    name="heartland_backfill_job",
    # The pull, then exactly what the daily job loads (through gl), so a backfill rebuilds the
    # whole chain.
    selection=PULLED | daily_heartland_job.selection,
    partitions_def=business_days,
    description="Pull business days from the Heartland API and load them through raw, canonical, "
    "reconciliation, the GL journals and the read copy. Backfill a month from the UI: every asset has a single-run backfill "
    "policy, so the range runs as one run.",
)


SALES_ORDER_TABLES = [dg.AssetKey(["canonical", t]) for t in ("sales_orders", "sales_order_lines")]

d365_pull_job = dg.define_asset_job(
    name="d365_pull_job",
    # By key, not group: the poster's assets share the "d365" group.
    selection=dg.AssetSelection.assets(
        *(entity.landing_key for entity in D365_ENTITIES),
        *(entity.key for entity in D365_ENTITIES),
        # The poll is the fallback for order events that never arrived (defs/d365_orders).
        *SALES_ORDER_TABLES,
    ),
    description="Pull D365's chart of accounts, dimension values, customers, released products "
    "and sales orders into the landing zone, load them into raw.d365_*, then check that the GL "
    "mapping exists in D365 (mappings_exist_in_d365, blocking).",
)


heartland_retail_pull_job = dg.define_asset_job(
    name="heartland_retail_pull_job",
    selection=dg.AssetSelection.assets(*RETAIL_KEYS.values()),
    description="Pull Heartland Retail into the landing zone: new and edited tickets since the "
    "cursor, and (when selected) the reference data and stock snapshots. The trading-hours "
    "schedule selects the tickets, the webhook nudge sensor items and customers, the closing "
    "run everything.",
)


ORDER_EVENT_ASSETS = dg.AssetSelection.assets(
    RAW_BUSINESS_EVENTS_KEY,
    TARGETED_PULL_KEY,
    # raw_d365 loads its six tables together; the reference ones re-apply their newest pull.
    *(entity.key for entity in D365_ENTITIES),
    *SALES_ORDER_TABLES,
)

d365_order_events_job = dg.define_asset_job(
    name=ORDER_EVENTS_JOB,
    # Only the checks that guard what this run writes: the GL mapping check belongs to the nightly
    # pull, and seconds count here (an event to a payment request within 10 s in the demo).
    selection=ORDER_EVENT_ASSETS.without_checks()
    | dg.AssetSelection.checks_for_assets(
        RAW_BUSINESS_EVENTS_KEY, SALES_ORDERS.key, SALES_ORDER_LINES.key
    )
    # The payment requests of the orders just pulled go in the same run: a second run would add a
    # sensor interval and a run launch to the order-to-link time. The step sends only while
    # order_payment_request_sensor is switched on (payment_requests/switch.py).
    | dg.AssetSelection.assets(ORDER_PAYMENT_REQUESTS),
    description="For the business day of new D365 business events: load them into "
    "raw.d365_business_events (duplicates counted), pull exactly the sales orders they name from "
    "D365, apply that pull to raw.d365_sales_orders / lines, rebuild canonical.sales_orders "
    "and sales_order_lines, and — while order_payment_request_sensor is on — send the payment "
    "requests of the confirmed card orders. Requested by d365_order_events_sensor.",
)

payment_poll_job = dg.define_asset_job(
    name="payment_poll_job",
    selection=dg.AssetSelection.assets(PAYMENT_NOTIFICATIONS_KEY),
    description="Ask GP-API for the payments of every open D365 order payment request and land "
    "what it finds, so an order whose status_url notification was lost still moves on. The "
    "landing sensor then loads it.",
)
