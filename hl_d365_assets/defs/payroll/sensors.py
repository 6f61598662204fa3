"""The payroll inbox sensor: a file dropped in the inbox is landed, archived and loaded.

Every :data:`SENSOR_INTERVAL_SECONDS` it hands each file waiting in ``<inbox>/payroll_register``
and ``<inbox>/bank_statement`` to :func:`hl_d365_assets.payroll_inbox.receive_files` (land through
the landing writer, move to the archive by content hash, write the manifest line), then requests
one ``payroll_job`` run per (file, business day) it landed rows under, and one for the day the
manifest line landed under. Run keys are made of the file's hash, so a repeated evaluation never
runs a file twice.

A register is often processed days before its check date, whose partition does not exist yet
(partitions end tomorrow): such a run waits in the cursor and is requested once the day's
partition exists.
"""

import json
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.defs.payroll.jobs import payroll_job
from hl_d365_assets.payroll_inbox import merchant_today, receive_files
from hl_d365_assets.resources import LandingZoneResource, MappingsResource, PayrollInboxResource
from hl_d365_assets.settings import fingerprint_key, load_settings

SENSOR_INTERVAL_SECONDS = 10


@dg.sensor(
    job=payroll_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 10 s: payroll registers and bank statements dropped in the payroll inbox "
    "are landed (one line per row, by check or booking date), moved to the archive by content "
    "hash, and loaded by a payroll_job run per day; a re-dropped identical file is counted in "
    "ops.payroll_files, not loaded again.",
)
def payroll_inbox_sensor(
    context: dg.SensorEvaluationContext,
    landing: LandingZoneResource,
    mappings: MappingsResource,
    payroll_inbox: PayrollInboxResource,
) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else {}
    waiting: dict[str, dict] = state.get("waiting", {})
    settings = load_settings()
    received = receive_files(
        payroll_inbox.open(),
        landing.zone,
        Path(mappings.directory),
        merchant_today(settings.merchant_timezone),
        fingerprint_key(settings),
    )
    for file in received.files:
        tags = {
            "hl_d365/trigger": "payroll_inbox_sensor",
            "hl_d365/file_sha256": file.sha256,
            "hl_d365/file_status": file.status,
        }
        for day in file.partitions:
            waiting[f"payroll:{file.sha256}:{day}"] = {"day": day, "tags": tags}
        if received.manifest_day not in file.partitions:
            waiting[f"payroll_files:{file.manifest_event_id}"] = {
                "day": received.manifest_day,
                "tags": tags,
            }
    context.log.info(
        f"payroll inbox: {len(received.files)} file(s) received"
        + "".join(
            f"; {f.folder}/{f.name}: {f.status}, {f.rows} row(s)"
            + (f" under {', '.join(f.partitions)}" if f.partitions else "")
            + (f", unknown columns {', '.join(f.unknown_columns)}" if f.unknown_columns else "")
            + (f", missing {', '.join(f.missing_columns)}" if f.missing_columns else "")
            for f in received.files
        )
    )
    ready = {k: v for k, v in waiting.items() if business_days.has_partition_key(v["day"])}
    still_waiting = {k: v for k, v in waiting.items() if k not in ready}
    cursor = json.dumps({"waiting": still_waiting}, sort_keys=True)
    if not ready:
        days = sorted({run["day"] for run in still_waiting.values()})
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                f"{len(still_waiting)} run(s) wait for their day's partition: {', '.join(days)}"
                if still_waiting
                else "no new payroll files"
            ),
            cursor=cursor,
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=run["day"], run_key=run_key, tags=run["tags"])
            for run_key, run in sorted(ready.items())
        ],
        cursor=cursor,
    )
