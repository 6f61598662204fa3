"""Posting follows loading: each day a successful daily_heartland_job or payroll_job run loaded is
posted (a pay run's journal posts with its check date's)."""

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.defs.gl.jobs import post_journals_job
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.defs.payroll.jobs import payroll_job


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[daily_heartland_job, payroll_job],
    request_job=post_journals_job,
    # Posting into a ledger is switched on deliberately, once D365 (or the sandbox simulator,
    # `hl-d365 d365-sim`) is there to receive it.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="After a day is loaded, post it (the blocking checks decide whether it goes).",
)
def post_after_load(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    start = run.tags.get("dagster/asset_partition_range_start") or run.tags.get("dagster/partition")
    end = run.tags.get("dagster/asset_partition_range_end") or start
    if not start:
        return
    for key in business_days.get_partition_keys_in_range(dg.PartitionKeyRange(start, end)):
        yield dg.RunRequest(run_key=f"post:{run.run_id}:{key}", partition_key=key)
