"""The pull job, its end-of-day schedule, and the job a month's backfill from the API runs."""

from datetime import timedelta

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.heartland.pull import PULLED_ENTITIES, SOURCE
from hl_d365_assets.settings import load_settings

PULLED = dg.AssetSelection.assets(*(["landing", SOURCE, entity] for entity in PULLED_ENTITIES))
PULL_HOUR = 2
"""02:30 in the merchant's zone: the business day is closed and Heartland has batched it."""

heartland_pull_job = dg.define_asset_job(
    name="heartland_pull_job",
    selection=PULLED,
    partitions_def=business_days,
    description="Pull one business day (or a range, in one run) from the Heartland API into the "
    "landing zone. The landing sensor then loads it.",
)

heartland_backfill_job = dg.define_asset_job(
    name="heartland_backfill_job",
    selection=PULLED | dg.AssetSelection.groups("raw", "canonical", "recon", "ops"),
    partitions_def=business_days,
    description="Pull business days from the Heartland API and load them through raw, canonical "
    "and the read copy. Backfill a month from the UI: every asset has a single-run backfill "
    "policy, so the range runs as one run.",
)


@dg.schedule(
    job=heartland_pull_job,
    cron_schedule=f"30 {PULL_HOUR} * * *",
    execution_timezone=load_settings().merchant_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="After each business day closes, pull it from the Heartland API, completing "
    "whatever its webhooks did not deliver.",
)
def end_of_day_pull(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    closed_day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(partition_key=closed_day, run_key=f"end_of_day_pull:{closed_day}")
