"""The D365 pull job, its daily schedule, and the job that re-validates the GL mapping alone."""

from datetime import UTC, datetime

import dagster as dg

from hl_d365_assets.defs.d365.assets import ENTITIES, MAIN_ACCOUNTS, D365PullConfig
from hl_d365_assets.settings import load_settings

PULL_HOUR = 2
"""02:00 in the merchant's zone: before the Heartland pull (02:30) and the day's journals, so the
mapping check has current D365 data when journals are built and posted."""
FULL_ORDER_PULL_WEEKDAY = 6
"""Sunday (Monday is 0): the weekly full pull that catches changed and deleted sales orders."""

d365_pull_job = dg.define_asset_job(
    name="d365_pull_job",
    # By key, not group: the poster's assets (defs/gl/postings.py) share the "d365" group.
    selection=dg.AssetSelection.assets(*(entity.key for entity in ENTITIES)),
    description="Pull D365's chart of accounts, dimension values, customers, released products "
    "and sales orders into raw.d365_*, then check that the GL mapping exists in D365 "
    "(mappings_exist_in_d365, blocking).",
)

d365_mapping_check_job = dg.define_asset_job(
    name="d365_mapping_check_job",
    selection=dg.AssetSelection.checks_for_assets(MAIN_ACCOUNTS.key),
    description="Check the GL mapping files against the D365 data last pulled, without pulling: "
    "run it after editing mappings/gl_*.csv.",
)


@dg.schedule(
    job=d365_pull_job,
    cron_schedule=f"0 {PULL_HOUR} * * *",
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
        run_config=dg.RunConfig(ops={"d365_pull": D365PullConfig(full_sales_order_pull=full)}),
        tags={"d365/sales_orders": "full" if full else "incremental"},
    )
