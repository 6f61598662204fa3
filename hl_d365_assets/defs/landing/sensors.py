"""The landing sensors: Dagster reacts on its own when segments land.

Each tick asks :func:`hl_d365_assets.landing_watch.scan` which day directories changed since the
cursor (a directory-mtime watermark), and requests one ``daily_heartland_job`` run per business
day that holds a segment newer than the ones its raw assets last loaded (the ``landing_watermarks``
metadata of their materialisations). So a late segment for a day already materialised re-opens
that day, days loaded by hand or by a backfill are not run again, and the decision survives a
lost cursor. The run key names the newest segment, which makes a repeated evaluation harmless.
A day that already has a run waiting to start is left alone: that run will read the new segment.
So is a day whose running run was requested for segments at least as new: it reads them as it
loads each stream, and before it has loaded one, that stream only looks unloaded.

Only the Heartland streams the daily job loads are watched. D365 segments (``landing/d365/…``,
dated by the day of the pull) are skipped on purpose: they hold reference data, not a business
day's events, and the pull's own job loads them into raw.d365_* in the same run.
"""

import dataclasses
import json
from pathlib import Path

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.d365.order_events import orders_named
from hl_d365_assets.defs.landing.assets import (
    RAW_BUSINESS_EVENTS_KEY,
    RETAIL_KEYS,
    TARGETED_PULL_KEY,
)
from hl_d365_assets.defs.landing.jobs import (
    SALES_ORDER_TABLES,
    d365_order_events_job,
    heartland_retail_pull_job,
)
from hl_d365_assets.defs.landing.schedules import retail_pull_active
from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.landing_watch import scan
from hl_d365_assets.raw_loader import (
    D365_SOURCE,
    ENTITIES,
    RETAIL_ENTITIES,
    RETAIL_SOURCE,
    SOURCE,
    raw_table,
)
from hl_d365_assets.resources import LandingZoneResource
from hl_d365_assets.settings import load_settings
from hl_d365_assets.tenants import load_tenants, tenant_of_run, tenant_tags
from hl_d365_assets.webhook.config import REFUSALS_ENTITY
from hl_d365_assets.webhook.retail_nudges import NUDGES_FILE, read_board

SENSOR_INTERVAL_SECONDS = 5
NUDGE_INTERVAL_SECONDS = 60
"""At most one nudged Retail pull a minute, however many item/customer events arrive."""
RAW_STREAMS = (
    {f"{SOURCE}/{entity}": dg.AssetKey(["raw", entity]) for entity in ENTITIES}
    | {
        f"{RETAIL_SOURCE}/{entity}": dg.AssetKey(["raw", raw_table(RETAIL_SOURCE, entity)])
        for entity in RETAIL_ENTITIES
    }
    | {f"{SOURCE}/{REFUSALS_ENTITY}": dg.AssetKey(["ops", REFUSALS_ENTITY])}
)
WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]
RUNNING = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
NEWEST_SEGMENT_TAG = "hl_d365/newest_segment"


@dg.sensor(
    job=daily_heartland_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a daily_heartland_job run for each business day with new completed "
    "landing segments (webhook receiver, API pull, sandbox), within seconds of their landing; "
    "with a tenants file, also one run per tenant and day, tagged hl_d365/tenant.",
)
def landing_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource
) -> dg.SensorResult | dg.SkipReason:
    state = json.loads(context.cursor) if context.cursor else {}
    changes = scan(landing.zone.root, state.get("watermark_ns", 0))
    requests, notes = _day_requests(context.instance, changes.newest)
    scanned = [changes]
    tenant_marks = {}
    for tenant_id, landing_dir in _tenant_landing_zones().items():
        # A tenant's landing zone is its own: its cursor is its own, and its runs carry its tag
        # (run key and tag name the tenant, so two tenants' runs of one day never dedupe).
        seen = scan(landing_dir, state.get("tenants", {}).get(tenant_id, 0))
        tenant_marks[tenant_id] = seen.watermark_ns
        scanned.append(seen)
        more, more_notes = _day_requests(context.instance, seen.newest, tenant_id)
        requests += more
        notes += [f"{tenant_id} {note}" for note in more_notes]
    cursor = json.dumps(
        {"watermark_ns": changes.watermark_ns} | ({"tenants": tenant_marks} if tenant_marks else {})
    )
    context.log.info(
        f"landing scan: {sum(c.day_dirs_seen for c in scanned)} day directories, "
        f"{sum(c.day_dirs_listed for c in scanned)} listed, {len(requests)} run(s) requested"
        + "".join(f"; {n}" for n in notes)
    )
    if not requests:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                "no new completed segments" + ("" if not notes else ": " + "; ".join(notes))
            ),
            cursor=cursor,
        )
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _tenant_landing_zones() -> dict[str, Path]:
    """Each tenant's landing zone (docs/tenants.md); none without a tenants file. Only the
    folder: the tenant's mappings are laid out by its runs, not every few seconds here."""
    settings = load_settings()
    return {
        tenant_id: dataclasses.replace(settings, data_dir=tenant.data_dir).landing_dir
        for tenant_id, tenant in load_tenants(settings).items()
    }


def _day_requests(
    instance: dg.DagsterInstance, newest: dict[str, dict[str, str]], tenant: str | None = None
) -> tuple[list[dg.RunRequest], list[str]]:
    """A run request per business day with segments newer than the day's last load, of the
    implicit tenant or of ``tenant``; and notes on the days passed over.

    For a tenant the scan's own cursor is the only watermark: the loads of an asset partition
    are recorded per asset, not per tenant, so the last load's watermark is the implicit
    tenant's."""
    first, last = business_days.get_first_partition_key(), business_days.get_last_partition_key()
    requests: list[dg.RunRequest] = []
    notes: list[str] = []
    for day, newest_by_stream in sorted(newest.items()):
        streams = {s: n for s, n in newest_by_stream.items() if s in RAW_STREAMS}
        if not streams:
            continue
        if first is None or last is None or not first <= day <= last:
            notes.append(f"{day}: outside the business-day partitions {first}..{last}")
            continue
        stale = (
            streams
            if tenant is not None
            else {
                stream: newest
                for stream, newest in streams.items()
                if newest > _loaded_watermark(instance, RAW_STREAMS[stream], day)
            }
        )
        if not stale:
            continue
        newest_segment = max(stale.values())
        if _run_waiting(instance, day, tenant):
            notes.append(f"{day}: a run is already waiting to start and will read the new segments")
            continue
        if _run_running_for(instance, day, newest_segment, tenant):
            notes.append(f"{day}: a running run was requested for these segments and reads them")
            continue
        requests.append(
            dg.RunRequest(
                partition_key=day,
                run_key=f"landing:{tenant + ':' if tenant else ''}{day}@{newest_segment}",
                tags={
                    "hl_d365/trigger": "landing_sensor",
                    NEWEST_SEGMENT_TAG: newest_segment,
                    "hl_d365/new_streams": ",".join(sorted(stale)),
                    **(tenant_tags(tenant) if tenant else {}),
                },
            )
        )
    return requests, notes


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


def _run_waiting(instance: dg.DagsterInstance, day: str, tenant: str | None = None) -> bool:
    """Whether a run of ``day`` (of ``tenant``'s, when given) is queued and not started."""
    tags = {"dagster/partition": day} | (tenant_tags(tenant) if tenant else {})
    return bool(
        instance.get_run_ids(
            filters=dg.RunsFilter(job_name=daily_heartland_job.name, statuses=WAITING, tags=tags),
            limit=1,
        )
    )


def _run_running_for(
    instance: dg.DagsterInstance, day: str, newest: str, tenant: str | None = None
) -> bool:
    """Whether a running run of ``day`` (of ``tenant``'s, when given) was requested by this
    sensor when ``newest`` had already landed (segment names sort by landing time): it reads
    every stream's segments as it loads it, so a stream it has not reached yet is not a reason
    for another run. A segment that lands after its request may come after its load: that one
    gets a run of its own."""
    tags = {"dagster/partition": day} | (tenant_tags(tenant) if tenant else {})
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=daily_heartland_job.name, statuses=RUNNING, tags=tags)
    )
    return any(
        run.tags.get(NEWEST_SEGMENT_TAG, "") >= newest and tenant_of_run(run.tags) == tenant
        for run in runs
    )


@dg.sensor(
    job=heartland_retail_pull_job,
    minimum_interval_seconds=NUDGE_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Turns Heartland Retail item/customer webhooks, noted by the receiver as nudges "
    "(nothing of their bodies is used), into a pull of the items and/or customers: one run at a "
    "time, at most one a minute.",
)
def heartland_retail_nudge_sensor(
    context: dg.SensorEvaluationContext,
) -> dg.SensorResult | dg.SkipReason:
    board = read_board(load_settings().data_dir / "webhook" / NUDGES_FILE)
    handled = json.loads(context.cursor) if context.cursor else {}
    nudged = sorted(e for e, stamp in board.items() if stamp > handled.get(e, 0))
    if not nudged:
        return dg.SkipReason("no new Heartland Retail item or customer nudges")
    if retail_pull_active(context.instance):
        # The cursor stays: the nudge is served by a run requested after this one ends.
        return dg.SkipReason(f"nudged {', '.join(nudged)}; a Retail pull is still running")
    newest = {entity: board[entity] for entity in nudged}
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key="retail_nudge:" + ",".join(f"{e}@{newest[e]}" for e in nudged),
                asset_selection=[RETAIL_KEYS[entity] for entity in nudged],
                tags={"hl_d365/trigger": "retail_nudge_sensor"},
            )
        ],
        cursor=json.dumps(handled | newest, sort_keys=True),
    )


# -- D365 business events ------------------------------------------------------------------

ORDER_EVENTS_INTERVAL_SECONDS = 2
"""How often new D365 business events are looked for: an order event to its payment request
within 10 s in the demo setup (issue 16)."""
EVENTS_ENTITY = "business_events"
TARGETED_PULL_OP = TARGETED_PULL_KEY.to_python_identifier()
EVENTS_STREAM = f"{D365_SOURCE}/{EVENTS_ENTITY}"
ORDER_EVENT_RUNS_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    job=d365_order_events_job,
    minimum_interval_seconds=ORDER_EVENTS_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 2 s: new D365 business events landed by the receiver -> one "
    "d365_order_events_job run per business day pulling exactly the sales orders they name "
    "(one such run at a time; events arriving meanwhile join the next).",
)
def d365_order_events_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource
) -> dg.SensorResult | dg.SkipReason:
    """From a landed business event to the order in the warehouse, within seconds.

    ``d365_order_events_sensor`` looks at ``landing/d365/business_events`` every
    :data:`ORDER_EVENTS_INTERVAL_SECONDS` (the landing sensor's directory-mtime scan,
    ``landing_watch.py``), reads the segments newer than those it handled for each business day,
    and requests one ``d365_order_events_job`` run per day naming the orders those events named
    (``d365/order_events.py``). While such a run is queued or running it waits, cursor unmoved, so
    the events that arrive meanwhile go out together in the next run: at most one targeted pull at a
    time, however fast events come.

    While ``order_payment_request_sensor`` is switched on, the run also sends the payment requests
    of the confirmed card orders it pulled: one run from event to link. Latency in the demo setup
    (`hl-d365 bench --part orders`, docs/benchmarks.md): an event is landed within
    ``max_segment_age`` of its receipt, seen at the next tick (≤ 2 s), and the run pulls, loads
    and asks GP-API in a few seconds.
    """
    state = json.loads(context.cursor) if context.cursor else {}
    handled: dict[str, str] = state.get("handled", {})
    if _run_active(context.instance):
        return dg.SkipReason("a d365_order_events_job run is still going; new events join the next")
    changes = scan(landing.zone.root, state.get("watermark_ns", 0))
    first, last = business_days.get_first_partition_key(), business_days.get_last_partition_key()
    requests: list[dg.RunRequest] = []
    for day, streams in sorted(changes.newest.items()):
        newest = streams.get(EVENTS_STREAM)
        if newest is None or newest <= handled.get(day, ""):
            continue
        if first is None or last is None or not first <= day <= last:
            context.log.warning(f"{EVENTS_STREAM} {day}: outside the partitions {first}..{last}")
            handled[day] = newest
            continue
        fresh = [
            path
            for path in landing.zone.segments(D365_SOURCE, EVENTS_ENTITY, day)
            if handled.get(day, "") < path.name <= newest
        ]
        named = orders_named(fresh)
        orders = named.as_config()
        trigger = (
            f"{named.events} sales-order event(s) in {len(fresh)} new segment(s) of {day}, "
            f"newest {newest}"
        )
        selection = None if orders else [RAW_BUSINESS_EVENTS_KEY, *SALES_ORDER_TABLES]
        requests.append(
            dg.RunRequest(
                run_key=f"d365_order_events:{day}@{newest}",
                partition_key=day,
                asset_selection=selection,
                run_config=dg.RunConfig(
                    ops={TARGETED_PULL_OP: {"config": {"orders": orders, "trigger": trigger}}}
                )
                if orders
                else None,
                tags={
                    "hl_d365/trigger": "d365_order_events_sensor",
                    "hl_d365/orders": str(len(orders)),
                },
            )
        )
        handled[day] = newest
    cursor = json.dumps({"watermark_ns": changes.watermark_ns, "handled": handled}, sort_keys=True)
    if not requests:
        return dg.SensorResult(
            skip_reason=dg.SkipReason("no new D365 business events"), cursor=cursor
        )
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _run_active(instance: dg.DagsterInstance) -> bool:
    return bool(
        instance.get_run_ids(
            filters=dg.RunsFilter(
                job_name=d365_order_events_job.name, statuses=ORDER_EVENT_RUNS_ACTIVE
            ),
            limit=1,
        )
    )
