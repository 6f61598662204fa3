"""When golden customers go out to D365 and Heartland Retail: after each successful matching."""

import dagster as dg

from hl_d365_assets.defs.mdm.jobs import (
    customer_matching_job,
    customer_sync_job,
    product_matching_job,
    product_sync_job,
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[customer_matching_job],
    request_job=customer_sync_job,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="After golden customers are rebuilt, create and update them in D365 and "
    "Heartland Retail. Off by default: writing customers into the ERP and the POS is switched "
    "on deliberately.",
)
def sync_after_matching(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=f"customer_sync:{context.dagster_run.run_id}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[product_matching_job],
    request_job=product_sync_job,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="After the product match is rebuilt, push D365's catalogue and prices to "
    "Heartland Retail. Off by default: changing the POS's prices is switched on deliberately "
    "(run product_sync_job with dry_run first).",
)
def product_sync_after_matching(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=f"product_sync:{context.dagster_run.run_id}")
