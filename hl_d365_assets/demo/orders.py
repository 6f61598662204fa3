"""The demo's order act: D365 sales orders collect their payment through Heartland.

Everything talks HTTP on loopback as in production: the D365 simulator sends its business events
to the webhook receiver (`hl-d365 webhook serve`, in its own process, the endpoint's secret token
in its path), the order-events run pulls exactly the orders they name, the payment-request run
asks the GP-API simulator for a payment link (e-mailed to the golden customer's address) or a
charge on the customer's stored card, the "customer" pays a link on the simulator's hosted page,
whose signed notification reaches the receiver's ``status_url``; the day's gateway pull and the
daily job then build ``canonical.order_payments``, their exceptions, and the customer payment
journal lines, posted to D365 exactly once.

What the demo does instead of Dagster's daemon: it switches ``order_payment_request_sensor`` on (as
a user does in the UI; off again afterwards) and runs the order-events sensor's run in this process
as soon as the events landed, so the run pulls the orders and sends their payment requests. The
latency it prints leaves out the sensor's 2 s interval; `hl-d365 bench --part orders` measures
event to link per order with it.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import dagster as dg
import httpx

from hl_d365_assets.d365.order_events import SALES_ORDER_CHANGED
from hl_d365_assets.defs.landing.sensors import d365_order_events_sensor
from hl_d365_assets.demo.posting import QUIET_CONSOLE, SandboxD365
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland.pull import pull_days
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.sandbox.resources import heartland_client
from hl_d365_assets.sandbox.sensor_switch import sensor_switched_on
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import open_for_analysis, sql_file
from hl_d365_assets.webhook.payment_notifications import PAYMENTS_PATH
from hl_d365_assets.webhook.process import free_port, start_receiver

Say = Callable[[str], None]
TOKEN_ENV = "D365_EVENTS_TOKEN"
STATUS_URL_ENV = "HL_D365_PAYMENT_STATUS_URL"
WAIT_SECONDS = 30


@dataclass(frozen=True)
class DemoOrder:
    customer: str
    lines: tuple[tuple[str, int], ...]
    pay: str
    """What the customer does: ``link`` (pays it), ``ignore`` (leaves the link unpaid), ``card``
    (the stored card is charged by the request itself)."""


ORDERS = (
    DemoOrder("US-024", (("SKU-10313", 3), ("SKU-10196", 1)), "link"),
    DemoOrder("US-001", (("SKU-10424", 2),), "ignore"),
    DemoOrder("US-003", (("SKU-10235", 4),), "card"),
    DemoOrder("US-016", (("SKU-10010", 1),), "card"),
)
"""US-003 and US-016 have a stored card in the GP simulator (mappings/order_payment_methods.csv);
US-016's is declined."""


def orders_through_heartland(settings: Settings, d365: SandboxD365, say: Say) -> bool:
    """Create, confirm and collect the demo orders; print each order's path. False on a failure."""
    from hl_d365_assets.definitions import defs

    ok = True
    with (
        order_endpoints(settings, "webhook-receiver-orders.log") as endpoints,
        dg.DagsterInstance.get() as instance,
    ):
        gp, port, token = endpoints.gp, endpoints.port, endpoints.token
        resources = {**d365.resources, "heartland": heartland_client(endpoints.gp_server.base_url)}

        def run(job_name: str, **options) -> dg.ExecuteInProcessResult:
            nonlocal ok
            result = defs.resolve_job_def(job_name).execute_in_process(
                instance=instance,
                resources=resources,
                raise_on_error=False,
                run_config={**options.pop("run_config", {}), **QUIET_CONSOLE},
                **options,
            )
            if not result.success:
                ok = False
                say(f"  {job_name} FAILED (see `make ui`)")
            return result

        # The golden records give the links their e-mail address. splink warns of every
        # comparison level a small sandbox never shows; the run's metadata keeps the fit.
        logging.getLogger("splink").setLevel(logging.ERROR)
        run("customer_matching_job")
        d365.sim.business_events.activate(
            SALES_ORDER_CHANGED, f"http://127.0.0.1:{port}/webhooks/d365/{token}"
        )
        numbers = create_and_confirm(d365, resources["d365"])
        confirmed = time.perf_counter()
        say(
            f"  created and confirmed {len(numbers)} sales orders in D365 over OData: "
            f"{', '.join(numbers)}; D365 sends a business event for each change"
        )
        events = _wait_for_events(settings, d365, len(numbers) * 2)
        landed = time.perf_counter()
        # As a user switches it on in the UI: while it is on, the order-events run sends the
        # payment requests of the orders it pulled (one run from event to link). The sensor's
        # context is closed with the block, before the instance it holds is.
        with (
            dg.build_sensor_context(
                instance=instance, resources={"landing": resources["landing"]}
            ) as context,
            sensor_switched_on(instance, "order_payment_request_sensor"),
        ):
            tick = d365_order_events_sensor(context)
            for request in tick.run_requests or []:
                run(
                    "d365_order_events_job",
                    partition_key=request.partition_key,
                    run_config=request.run_config or {},
                    asset_selection=request.asset_selection,
                    tags=request.tags,
                )
        requested = time.perf_counter()
        say(
            f"  {events} business events landed by the receiver {landed - confirmed:.1f}s after "
            f"the last confirmation; one order-events run pulled the orders and asked GP-API "
            f"for their payment requests in {requested - landed:.1f}s: event to payment link "
            f"{requested - confirmed:.1f}s (plus up to the sensor's 2 s interval; "
            "`hl-d365 bench --part orders` measures it per order)"
        )
        requests = _requests(settings, numbers)
        for number, order in zip(numbers, ORDERS, strict=True):
            request = requests.get(number)
            if order.pay == "link" and request and request["gp_id"]:
                gp.payments.pay_link(request["gp_id"])
        # The end of the trading day: GP closes the batch the sales joined (auto-close), so
        # the day's pull lands it and the customer payment journal can agree with settlement.
        gp.payments.close_batches()
        paid_day = _merchant_today(settings)
        with resources["heartland"].process_config_and_initialize().open() as api:
            pull_days(
                api,
                LandingZone(settings.landing_dir),
                [paid_day],
                StoreZones.from_mappings(settings.mappings_dir, settings.merchant_timezone),
            )
        run("daily_heartland_job", partition_key=paid_day.isoformat())
        posting = run("post_journals_job", partition_key=paid_day.isoformat())
        held = sorted(e.check_name for e in posting.get_asset_check_evaluations() if not e.passed)
        _print_paths(settings, numbers, requests, paid_day, held, say)
    return ok


@dataclass(frozen=True)
class OrderEndpoints:
    gp: HeartlandSimulator
    gp_server: object
    port: int
    token: str


@contextmanager
def order_endpoints(settings: Settings, log_name: str) -> Iterator[OrderEndpoints]:
    """What D365 orders paid through Heartland talk to, on loopback: the GP-API simulator, and the
    webhook receiver in its own process with the D365 events token in its path and the payments
    status_url set (business events are few: segments committed after 250 ms, not 2 s). Shared by
    the demo's order act and the order benchmark; stopped, and the two variables unset, on exit."""
    token = secrets.token_urlsafe(18)
    port = free_port()
    os.environ[TOKEN_ENV] = token
    os.environ[STATUS_URL_ENV] = f"http://127.0.0.1:{port}{PAYMENTS_PATH}"
    gp = HeartlandSimulator(payments_state=settings.data_dir / "sandbox" / "gp_payments.json")
    gp_server = serve(gp)
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        receiver = start_receiver(
            settings.data_dir, port, "--max-segment-age", "250ms", log_path=logs / log_name
        )
        try:
            yield OrderEndpoints(gp, gp_server, port, token)
        finally:
            receiver.terminate()
            receiver.wait(timeout=30)
    finally:
        gp_server.stop()
        gp.close()
        os.environ.pop(TOKEN_ENV, None)
        os.environ.pop(STATUS_URL_ENV, None)


def create_and_confirm(
    d365: SandboxD365, client, orders: tuple[DemoOrder, ...] | list[DemoOrder] = ORDERS
) -> list[str]:
    """Create ``orders`` in D365 over OData, then confirm them (the simulator's stand-in for a
    user confirming in D365); D365 sends a business event for each change."""
    numbers = []
    with client.open() as api:
        for order in orders:
            header = api.create(
                "SalesOrderHeadersV2",
                {"dataAreaId": "usrt", "OrderingCustomerAccountNumber": order.customer,
                 "CustomerPaymentMethodName": "CARD", "DefaultShippingWarehouseId": "DEN"},
            )  # fmt: skip
            number = header["SalesOrderNumber"]
            for item, quantity in order.lines:
                api.create(
                    "SalesOrderLines",
                    {"dataAreaId": "usrt", "SalesOrderNumber": number, "ItemNumber": item,
                     "OrderedSalesQuantity": quantity},
                )  # fmt: skip
            numbers.append(number)
    for number in numbers:
        answer = httpx.post(f"{d365.server.base_url}/_simulator/sales-orders/usrt/{number}/confirm")
        answer.raise_for_status()
    return numbers


def _wait_for_events(settings: Settings, d365: SandboxD365, expected: int) -> int:
    """Every event sent by D365 and committed by the receiver into a landed segment."""
    d365.sim.business_events.wait_idle()
    directory = settings.landing_dir / "d365" / "business_events"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        committed = sum(
            len(segment.read_text().splitlines()) for segment in directory.rglob("*.ndjson")
        )
        pending = any(directory.rglob(".*.tmp"))
        if (committed >= expected and not pending) or time.monotonic() > deadline:
            return committed
        time.sleep(0.05)


def _merchant_today(settings: Settings) -> date:
    from hl_d365_assets.time_zones import zone

    return datetime.now(zone(settings.merchant_timezone)).date()


def _requests(settings: Settings, numbers: list[str]) -> dict[str, dict]:
    conn = open_for_analysis(settings.read_copy_path)
    try:
        rows = conn.execute(
            sql_file("reports/demo_order_requests.sql"), {"orders": numbers}
        ).fetchall()
    finally:
        conn.close()
    names = ("kind", "status", "gp_id", "email", "amount", "currency")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def _print_paths(
    settings: Settings,
    numbers: list[str],
    requests: dict[str, dict],
    day: date,
    held: list[str],
    say: Say,
) -> None:
    conn = open_for_analysis(settings.read_copy_path)
    try:
        paths = {
            row[0]: row[1:]
            for row in conn.execute(
                sql_file("reports/demo_order_paths.sql"), {"orders": numbers}
            ).fetchall()
        }
        exceptions = conn.execute(sql_file("reports/demo_order_exceptions.sql")).fetchall()
    finally:
        conn.close()
    say(
        f"\n{'order':<12} {'customer':<9} {'amount':>12} {'request':<12} {'GP object':<36} "
        f"{'payment':<12} {'D365 customer payment line'}"
    )
    say("-" * 130)
    for number, order in zip(numbers, ORDERS, strict=True):
        request = requests.get(number, {})
        state, transaction, posted = paths.get(number, ("none", None, False))
        line = f"{transaction} ({'posted' if posted else 'held'})" if transaction else "-"
        amount = f"{request.get('amount', '')} {request.get('currency', '')}".strip()
        say(
            f"{number:<12} {order.customer:<9} {amount:>12} {request.get('kind', '-'):<12} "
            f"{(request.get('gp_id') or request.get('status') or '-'):<36} "
            f"{state:<12} {line}"
        )
    say(
        f"\nbusiness day {day}: "
        + (f"journals held back by {', '.join(held)}" if held else "journals posted")
        + "; open order exceptions: "
        + (", ".join(f"{kind} {n}" for kind, n in exceptions) or "none")
    )
    say(
        "D365 cannot be moved to Invoiced over OData (invoice posting is no OData action): "
        "recon.order_status_alignment lists every order whose Heartland and D365 statuses "
        "disagree, and for how long (docs/orders.md)."
    )
