"""When the pulls run: Heartland's end of day, Heartland Retail's tickets every few minutes while
stores trade and its closing pull, and D365's nightly pull (in full on Sundays)."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from hl_d365_assets.defs.landing.assets import (
    TICKETS_KEY,
    D365PullConfig,
    RetailPullConfig,
    d365_pull,
    heartland_retail_pull,
)
from hl_d365_assets.defs.landing.jobs import (
    d365_pull_job,
    heartland_pull_job,
    heartland_retail_pull_job,
    payment_poll_job,
)
from hl_d365_assets.settings import load_settings

HEARTLAND_PULL_HOUR = 2
"""02:30 in the merchant's zone: the business day is closed and Heartland has batched it."""
D365_PULL_HOUR = 2
"""02:00 in the merchant's zone: before the Heartland pull (02:30) and the day's journals, so the
mapping check has current D365 data when journals are built and posted."""
RETAIL_TRADING_CRON = "*/5 7-23 * * *"
"""Every 5 minutes from 07:00 to 23:55 in the merchant's zone: Retail has no ticket webhooks
(reference §7), so this is how fresh a day's sales are. Stores west of the merchant's zone that
trade later land their last tickets at the closing pull, under their own business day."""
RETAIL_CLOSING_HOUR = 2
"""02:15 in the merchant's zone, before the Heartland pull (02:30): the closing pull of every
Retail entity, with stock and reference data as of the day's close."""
RETAIL_CLOSING_OVERLAP_MINUTES = 60
"""The closing pull re-reads ticket edits of the last hour before its cursor: an edit saved while
a trading pull ran can sort below a new ticket's updated_at and be passed (``pull.py``)."""
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
FULL_ORDER_PULL_WEEKDAY = 6
"""Sunday (Monday is 0): the weekly full pull that catches changed and deleted sales orders."""


@dg.schedule(
    job=heartland_pull_job,
    cron_schedule=f"30 {HEARTLAND_PULL_HOUR} * * *",
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="After each business day closes, pull it from the Heartland API, completing "
    "whatever its webhooks did not deliver.",
)
def end_of_day_pull(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    closed_day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(partition_key=closed_day, run_key=f"end_of_day_pull:{closed_day}")


@dg.schedule(
    job=d365_pull_job,
    cron_schedule=f"0 {D365_PULL_HOUR} * * *",
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night, pull D365's reference data and the sales orders created since the "
    "last pull; on Sundays, every sales order.",
)
def d365_daily_pull(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    when = context.scheduled_execution_time or datetime.now(UTC)
    full = when.weekday() == FULL_ORDER_PULL_WEEKDAY
    return dg.RunRequest(
        run_key=f"d365_daily_pull:{when.date().isoformat()}",
        run_config=dg.RunConfig(
            ops={d365_pull.op.name: D365PullConfig(full_sales_order_pull=full)}
        ),
        tags={"d365/sales_orders": "full" if full else "incremental"},
    )


@dg.schedule(
    job=heartland_retail_pull_job,
    cron_schedule=RETAIL_TRADING_CRON,
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="While stores trade, pull the new and edited Heartland Retail tickets every 5 "
    "minutes (Retail sends no ticket webhooks). Skipped while a Retail pull is still running.",
)
def heartland_retail_trading_pull(
    context: dg.ScheduleEvaluationContext,
) -> dg.RunRequest | dg.SkipReason:
    if retail_pull_active(context.instance):
        return dg.SkipReason("a Heartland Retail pull is still running; its cursor moves on")
    return dg.RunRequest(
        asset_selection=[TICKETS_KEY], tags={"hl_d365/trigger": "retail_trading_schedule"}
    )


@dg.schedule(
    job=heartland_retail_pull_job,
    cron_schedule=f"15 {RETAIL_CLOSING_HOUR} * * *",
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="After the business day closes: the last tickets and edits (re-reading an hour "
    "of edits), and the day's snapshots of locations, payment types, items, customers and stock.",
)
def heartland_retail_closing_pull(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    closed_day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(
        run_key=f"heartland_retail_closing_pull:{closed_day}",
        run_config=dg.RunConfig(
            ops={
                heartland_retail_pull.op.name: RetailPullConfig(
                    edit_overlap_minutes=RETAIL_CLOSING_OVERLAP_MINUTES
                )
            }
        ),
        tags={"hl_d365/trigger": "retail_closing_schedule", "hl_d365/closed_day": closed_day},
    )


def retail_pull_active(instance: dg.DagsterInstance) -> bool:
    return bool(
        instance.get_run_ids(
            filters=dg.RunsFilter(job_name=heartland_retail_pull_job.name, statuses=ACTIVE),
            limit=1,
        )
    )


PAYMENT_POLL_CRON = "*/15 * * * *"
"""Every 15 minutes: a lost status_url notification is caught within a quarter of an hour
(docs/orders.md); GP is asked only about the orders still waiting."""

payment_poll = dg.ScheduleDefinition(
    name="payment_poll",
    job=payment_poll_job,
    cron_schedule=PAYMENT_POLL_CRON,
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Poll GP-API for the payments of open D365 order payment requests.",
)
