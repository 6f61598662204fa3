"""When customers are matched: nightly, after the D365 (02:00) and Heartland (02:30) pulls."""

import dagster as dg

from hl_d365_assets.defs.mdm.jobs import customer_matching_job, product_matching_job
from hl_d365_assets.settings import load_settings

CUSTOMER_MATCHING_HOUR = 4
"""04:00 in the merchant's zone: the night's pulls have landed and loaded new customers."""


@dg.schedule(
    job=customer_matching_job,
    cron_schedule=f"0 {CUSTOMER_MATCHING_HOUR} * * *",
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rebuild golden customers from the night's customer records; reviewers' "
    "decisions of the day take effect here.",
)
def customer_matching(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    night = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=f"customer_matching:{night}")


PRODUCT_MATCHING_MINUTE = 15
"""04:15: after the customer matching, on the same night's D365 pull and Retail item snapshot."""


@dg.schedule(
    job=product_matching_job,
    cron_schedule=f"{PRODUCT_MATCHING_MINUTE} {CUSTOMER_MATCHING_HOUR} * * *",
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rebuild canonical.products (D365 SKUs against Heartland Retail items) and its "
    "exceptions from the night's pulls.",
)
def product_matching(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    night = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=f"product_matching:{night}")
