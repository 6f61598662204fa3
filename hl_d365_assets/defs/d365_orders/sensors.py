"""From a landed business event to the order in the warehouse, within seconds.

``d365_order_events_sensor`` looks at ``landing/d365/business_events`` every
:data:`SENSOR_INTERVAL_SECONDS` (the landing sensor's directory-mtime scan,
``landing_watch.py``), reads the segments newer than those it handled for each business day,
and requests one ``d365_order_events_job`` run per day naming the orders those events named
(``d365/order_events.py``). While such a run is queued or running it waits, cursor unmoved, so
the events that arrive meanwhile go out together in the next run: at most one targeted pull at a
time, however fast events come.

Latency in the demo setup: an event is landed within ``max_segment_age`` (2 s) of its receipt,
seen at the next tick (≤ 2 s), and the run pulls and loads in a few seconds — the 10 s from an
order event to its payment request (issue 16) leaves the rest to the payment step.
"""

import json

import dagster as dg

from hl_d365_assets.business_day import business_days
from hl_d365_assets.d365.order_events import orders_named
from hl_d365_assets.defs.d365_orders.assets import (
    CANONICAL_KEYS,
    RAW_BUSINESS_EVENTS_KEY,
    TARGETED_PULL_KEY,
)
from hl_d365_assets.defs.d365_orders.jobs import d365_order_events_job
from hl_d365_assets.landing_watch import scan
from hl_d365_assets.raw_loader import D365_SOURCE
from hl_d365_assets.resources import LandingZoneResource

SENSOR_INTERVAL_SECONDS = 2
ENTITY = "business_events"
TARGETED_PULL_OP = TARGETED_PULL_KEY.to_python_identifier()
STREAM = f"{D365_SOURCE}/{ENTITY}"
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    job=d365_order_events_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 2 s: new D365 business events landed by the receiver -> one "
    "d365_order_events_job run per business day pulling exactly the sales orders they name "
    "(one such run at a time; events arriving meanwhile join the next).",
)
def d365_order_events_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource
) -> dg.SensorResult | dg.SkipReason:
    state = json.loads(context.cursor) if context.cursor else {}
    handled: dict[str, str] = state.get("handled", {})
    if _run_active(context.instance):
        return dg.SkipReason("a d365_order_events_job run is still going; new events join the next")
    changes = scan(landing.zone.root, state.get("watermark_ns", 0))
    first, last = business_days.get_first_partition_key(), business_days.get_last_partition_key()
    requests: list[dg.RunRequest] = []
    for day, streams in sorted(changes.newest.items()):
        newest = streams.get(STREAM)
        if newest is None or newest <= handled.get(day, ""):
            continue
        if first is None or last is None or not first <= day <= last:
            context.log.warning(f"{STREAM} {day}: outside the partitions {first}..{last}")
            handled[day] = newest
            continue
        fresh = [
            path
            for path in landing.zone.segments(D365_SOURCE, ENTITY, day)
            if handled.get(day, "") < path.name <= newest
        ]
        named = orders_named(fresh)
        orders = named.as_config()
        trigger = (
            f"{named.events} sales-order event(s) in {len(fresh)} new segment(s) of {day}, "
            f"newest {newest}"
        )
        selection = None if orders else [RAW_BUSINESS_EVENTS_KEY, *CANONICAL_KEYS]
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
            filters=dg.RunsFilter(job_name=d365_order_events_job.name, statuses=ACTIVE), limit=1
        )
    )
