"""When the pulls run: Heartland's end of day, and D365's nightly pull (in full on Sundays)."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from hl_d365_assets.defs.landing.assets import D365PullConfig, d365_pull
from hl_d365_assets.defs.landing.jobs import d365_pull_job, heartland_pull_job
from hl_d365_assets.settings import load_settings

HEARTLAND_PULL_HOUR = 2
"""02:30 in the merchant's zone: the business day is closed and Heartland has batched it."""
D365_PULL_HOUR = 2
"""02:00 in the merchant's zone: before the Heartland pull (02:30) and the day's journals, so the
mapping check has current D365 data when journals are built and posted."""
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
