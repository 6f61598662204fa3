"""The run a business event triggers: load the day's events, pull the orders they name, apply the
pull to raw.d365_*, rebuild canonical.sales_orders / sales_order_lines."""

import dagster as dg

from hl_d365_assets.d365.pull import ENTITIES as D365_ENTITIES
from hl_d365_assets.d365.pull import SALES_ORDER_LINES, SALES_ORDERS
from hl_d365_assets.defs.d365_orders.assets import (
    CANONICAL_KEYS,
    RAW_BUSINESS_EVENTS_KEY,
    TARGETED_PULL_KEY,
)

ORDER_EVENT_ASSETS = dg.AssetSelection.assets(
    RAW_BUSINESS_EVENTS_KEY,
    TARGETED_PULL_KEY,
    # raw_d365 loads its six tables together; the reference ones re-apply their newest pull.
    *(entity.key for entity in D365_ENTITIES),
    *CANONICAL_KEYS,
)

d365_order_events_job = dg.define_asset_job(
    name="d365_order_events_job",
    # Only the checks that guard what this run writes: the GL mapping check belongs to the nightly
    # pull, and seconds count here (an event to a payment request within 10 s in the demo).
    selection=ORDER_EVENT_ASSETS.without_checks()
    | dg.AssetSelection.checks_for_assets(
        RAW_BUSINESS_EVENTS_KEY, SALES_ORDERS.key, SALES_ORDER_LINES.key
    ),
    description="For the business day of new D365 business events: load them into "
    "raw.d365_business_events (duplicates counted), pull exactly the sales orders they name from "
    "D365, apply that pull to raw.d365_sales_orders / lines, and rebuild canonical.sales_orders "
    "and sales_order_lines. Requested by d365_order_events_sensor.",
)
