"""After a person approves a mapping in the UI, the days its value held back are rebuilt: one run
per held partition of the job the mapping feeds, and no other. A mapping read by an asset that is
not partitioned (the product match) is one run of that job over exactly its assets."""

import dagster as dg

from hl_d365_assets.defs.mappings.jobs import (
    REPLAY_ASSETS_TAG,
    REPLAY_DAYS_TAG,
    REPLAY_JOB_TAG,
    decide_mapping_job,
)
from hl_d365_assets.defs.mdm.jobs import product_matching_job
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.defs.payroll.jobs import payroll_job


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[decide_mapping_job],
    request_jobs=[daily_heartland_job, payroll_job, product_matching_job],
    # On: an approval is a person's explicit act, and its replay is what they asked for.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a mapping is approved, re-materialise exactly the held business days.",
)
def replay_after_mapping_decision(context: dg.RunStatusSensorContext):
    # The run's tags as the approving step left them (the run object handed in predates them).
    run = context.instance.get_run_by_id(context.dagster_run.run_id)
    days = [d for d in run.tags.get(REPLAY_DAYS_TAG, "").split(",") if d]
    job = run.tags.get(REPLAY_JOB_TAG)
    assets = [a for a in run.tags.get(REPLAY_ASSETS_TAG, "").split(",") if a]
    if assets:
        yield dg.RunRequest(
            run_key=f"mapping-replay:{run.run_id}",
            job_name=job,
            asset_selection=[dg.AssetKey.from_user_string(a) for a in assets],
            tags={"hl_d365/replay_of": run.run_id},
        )
        return
    for day in days:
        yield dg.RunRequest(
            run_key=f"mapping-replay:{run.run_id}:{day}",
            job_name=job,
            partition_key=day,
            tags={"hl_d365/replay_of": run.run_id},
        )
