"""Ops sensors. The payment request sensor: a confirmed D365 card order gets its GP-API request within seconds.

Every few seconds it reads the analysts' read copy (republished after every run, so it never
competes with a writer for the warehouse) for orders without a request and requests without a
result, and asks for one ``order_payment_requests_job`` run. The run key names the work, so the
same work is not run twice, except requests that wait for GP-API (down), which are tried again
once a minute. Nothing happens while a run of the job is queued or running.
"""

import hashlib
import time
from pathlib import Path

import dagster as dg
import duckdb

from hl_d365_assets.defs.ops.jobs import order_payment_requests_job
from hl_d365_assets.payment_requests.switch import PAYMENT_REQUEST_SENSOR
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.warehouse import WarehouseResource, sql_file

SENSOR_INTERVAL_SECONDS = 5
"""How often orders are looked for: the order-to-link target is 10 seconds (issue 16, item 6)."""
WAITING_RETRY_SECONDS = 60
"""Requests waiting for GP-API go again at most this often."""
_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    name=PAYMENT_REQUEST_SENSOR,
    job=order_payment_requests_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Confirmed D365 card orders without a Heartland payment request, and requests "
    "waiting for GP-API, start order_payment_requests_job. Off by default: asking customers for "
    "money is switched on deliberately.",
)
def order_payment_request_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource, mappings: MappingsResource
) -> dg.RunRequest | dg.SkipReason:
    work = pending_work(Path(warehouse.read_copy), mappings.directory)
    if not work:
        return dg.SkipReason("no confirmed card order waits for a payment request")
    active = context.instance.get_run_records(
        dg.RunsFilter(job_name=order_payment_requests_job.name, statuses=_ACTIVE), limit=1
    )
    if active:
        return dg.SkipReason(f"{len(work)} pieces of work; a payment request run is under way")
    digest = hashlib.sha256("\n".join(name for name, _ in work).encode()).hexdigest()[:16]
    if any(waiting for _, waiting in work):
        digest += f":{int(time.time() // WAITING_RETRY_SECONDS)}"
    return dg.RunRequest(
        run_key=f"payment_requests:{digest}",
        tags={"hl_d365/trigger": "order_payment_request_sensor"},
    )


def pending_work(read_copy: Path, mappings_dir: str) -> list[tuple[str, bool]]:
    """(work name, waits for GP-API) of the read copy; empty while there is no read copy yet."""
    if not read_copy.exists():
        return []
    with duckdb.connect(str(read_copy), read_only=True) as conn:
        try:
            return conn.execute(
                sql_file("ops/select_payment_request_work.sql"), {"dir": mappings_dir}
            ).fetchall()
        except duckdb.CatalogException:
            return []  # a read copy older than the payment request tables
