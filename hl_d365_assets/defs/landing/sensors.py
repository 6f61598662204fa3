"""The landing sensor: Dagster reacts on its own when segments land.

Each tick asks :func:`hl_d365_assets.landing_watch.scan` which day directories changed since the
cursor (a directory-mtime watermark), and requests one ``daily_heartland_job`` run per business
day that holds a segment newer than the ones its raw assets last loaded (the ``landing_watermarks``
metadata of their materialisations). So a late segment for a day already materialised re-opens
that day, days loaded by hand or by a backfill are not run again, and the decision survives a
lost cursor. The run key names the newest segment, which makes a repeated evaluation harmless.
A day that already has a run waiting to start is left alone: that run will read the new segment.

Only the Heartland streams the daily job loads are watched. D365 segments (``landing/d365/…``,
dated by the day of the pull) are skipped on purpose: they hold reference data, not a business
day's events, and the pull's own job loads them into raw.d365_* in the same run.
"""

import json

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.landing_watch import scan
from hl_d365_assets.raw_loader import ENTITIES, RETAIL_ENTITIES, RETAIL_SOURCE, SOURCE, raw_table
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.webhook.config import REFUSALS_ENTITY

SENSOR_INTERVAL_SECONDS = 5
RAW_STREAMS = (
    {f"{SOURCE}/{entity}": dg.AssetKey(["raw", entity]) for entity in ENTITIES}
    | {
        f"{RETAIL_SOURCE}/{entity}": dg.AssetKey(["raw", raw_table(RETAIL_SOURCE, entity)])
        for entity in RETAIL_ENTITIES
    }
    | {f"{SOURCE}/{REFUSALS_ENTITY}": dg.AssetKey(["ops", REFUSALS_ENTITY])}
)
WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]


@dg.sensor(
    job=daily_heartland_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a daily_heartland_job run for each business day with new completed "
    "landing segments (webhook receiver, API pull, sandbox), within seconds of their landing.",
)
def landing_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource
) -> dg.SensorResult | dg.SkipReason:
    since = json.loads(context.cursor)["watermark_ns"] if context.cursor else 0
    changes = scan(landing.zone.root, since)
    cursor = json.dumps({"watermark_ns": changes.watermark_ns})
    first, last = business_days.get_first_partition_key(), business_days.get_last_partition_key()

    requests: list[dg.RunRequest] = []
    notes: list[str] = []
    for day, newest_by_stream in sorted(changes.newest.items()):
        streams = {s: n for s, n in newest_by_stream.items() if s in RAW_STREAMS}
        if not streams:
            continue
        if first is None or last is None or not first <= day <= last:
            notes.append(f"{day}: outside the business-day partitions {first}..{last}")
            continue
        stale = {
            stream: newest
            for stream, newest in streams.items()
            if newest > _loaded_watermark(context.instance, RAW_STREAMS[stream], day)
        }
        if not stale:
            continue
        if _run_waiting(context.instance, day):
            notes.append(f"{day}: a run is already waiting to start and will read the new segments")
            continue
        newest = max(stale.values())
        requests.append(
            dg.RunRequest(
                partition_key=day,
                run_key=f"landing:{day}@{newest}",
                tags={
                    "hl_d365/trigger": "landing_sensor",
                    "hl_d365/newest_segment": newest,
                    "hl_d365/new_streams": ",".join(sorted(stale)),
                },
            )
        )
    context.log.info(
        f"landing scan: {changes.day_dirs_seen} day directories, {changes.day_dirs_listed} "
        f"listed, {len(requests)} run(s) requested" + "".join(f"; {n}" for n in notes)
    )
    if not requests:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                "no new completed segments" + ("" if not notes else ": " + "; ".join(notes))
            ),
            cursor=cursor,
        )
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _loaded_watermark(instance: dg.DagsterInstance, asset_key: dg.AssetKey, day: str) -> str:
    return latest_load(instance, asset_key, day)[0]


def latest_load(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, day: str
) -> tuple[str, dg.EventLogRecord | None]:
    """The newest segment the asset's latest materialisation of ``day`` loaded ("" when none
    recorded), and that materialisation's record."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[day]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return "", None
    value = records[0].asset_materialization.metadata.get("landing_watermarks")
    return ((value.value or {}).get(day, "") if value is not None else ""), records[0]


def _run_waiting(instance: dg.DagsterInstance, day: str) -> bool:
    return bool(
        instance.get_run_ids(
            filters=dg.RunsFilter(
                job_name=daily_heartland_job.name, statuses=WAITING, tags={"dagster/partition": day}
            ),
            limit=1,
        )
    )
