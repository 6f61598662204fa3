"""D365 orders in: an order created or moved in D365 reaches the warehouse through its business
event (delivered at least once, in any order) and the targeted pull it triggers, and through the
poll on creation time when its event never came.

Real components: the D365 simulator on loopback (OData, and business events sent over HTTP by its
own sending thread), the webhook receiver served by uvicorn on loopback, the production D365
client, the real sensor evaluated against a real Dagster instance, the jobs it requests run
in process, and the DuckDB warehouse they write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from hl_d365_assets.d365.client import BatchOperation, D365Client
from hl_d365_assets.d365.order_events import SALES_ORDER_CHANGED, orders_named, parse_order_config
from hl_d365_assets.d365.order_refresh import refresh_orders
from hl_d365_assets.d365.raw_load import d365_fields
from hl_d365_assets.defs.landing.jobs import d365_order_events_job, d365_pull_job
from hl_d365_assets.defs.landing.sensors import d365_order_events_sensor
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox.d365_simulator.app import (
    D365Simulator,
)
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.settings import Settings
from hl_d365_assets.time_zones import zone
from hl_d365_assets.webhook.d365_events import TEST_EVENT
from hl_d365_assets.webhook.process import free_port
from hl_d365_assets.webhook.receiver import STATS_PATH, WebhookReceiver
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.loopback_receiver import (
    TOKEN,
    client_for,
    create_order,
    receiver_config,
    receiver_on_loopback,
)

pytestmark = pytest.mark.schedule_first

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
EVENTS_DIR = ("d365", "business_events")


@dataclass
class Stack:
    settings: Settings
    instance: dg.DagsterInstance
    sim: D365Simulator
    sim_url: str
    client: D365Client
    receiver_url: str
    receiver: WebhookReceiver
    cursor: str | None = None
    runs: list[dg.ExecuteInProcessResult] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"{self.receiver_url}/webhooks/d365/{TOKEN}"

    def create_order(self, customer: str, *lines: tuple[str, str]) -> str:
        return create_order(self.client, customer, *lines)

    def move(self, number: str, action: str) -> dict:
        answer = httpx.post(f"{self.sim_url}/_simulator/sales-orders/usrt/{number}/{action}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def settle(self) -> None:
        """Every event sent, and every landed line in a committed segment."""
        assert self.sim.business_events.wait_idle()
        directory = self.settings.landing_dir.joinpath(*EVENTS_DIR)
        deadline = time.monotonic() + 10
        while any(directory.rglob(".*.tmp")):
            assert time.monotonic() < deadline, "the receiver did not commit its segment"
            time.sleep(0.05)

    def process_events(self) -> list[dg.ExecuteInProcessResult]:
        """One sensor tick, and the runs it requests executed as the daemon would launch them."""
        self.settle()
        from hl_d365_assets.definitions import defs

        resources = build_resources(self.settings)
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"landing": resources["landing"]}
        )
        result = d365_order_events_sensor(context)
        assert isinstance(result, dg.SensorResult)
        self.cursor = result.cursor
        job = defs.resolve_job_def(d365_order_events_job.name)
        runs = []
        for request in result.run_requests or []:
            run = job.execute_in_process(
                partition_key=request.partition_key,
                run_config={**(request.run_config or {}), **QUIET},
                asset_selection=request.asset_selection,
                tags=request.tags,
                instance=self.instance,
                resources={**resources, "d365": self.client},
                raise_on_error=False,
            )
            assert run.success, [
                e.message for e in run.all_events if e.event_type_value == "STEP_FAILURE"
            ]
            runs.append(run)
        self.runs.extend(runs)
        return runs

    def poll(self) -> dg.ExecuteInProcessResult:
        """The nightly pull by OrderCreationDateTime, incremental."""
        from hl_d365_assets.definitions import defs

        result = defs.resolve_job_def(d365_pull_job.name).execute_in_process(
            instance=self.instance,
            resources={**build_resources(self.settings), "d365": self.client},
            run_config={**QUIET, "ops": {"d365_pull": {"config": {}}}},
            raise_on_error=False,
        )
        assert result.success
        return result

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as conn:
            return conn.execute(sql, params or {}).fetchall()

    def stats(self) -> dict:
        return httpx.get(f"{self.receiver_url}{STATS_PATH}").json()

    def landed_events(self) -> list[dict]:
        directory = self.settings.landing_dir.joinpath(*EVENTS_DIR)
        return [
            json.loads(line)
            for segment in sorted(directory.rglob("*.ndjson"))
            for line in segment.read_text().splitlines()
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """D365 with the seed, pulled once in full; the receiver listening; the event activated."""
    settings = make_settings(tmp_path_factory.mktemp("d365_orders_in") / "data")
    sim = D365Simulator(page_size=50)
    with (
        serve(sim) as server,
        receiver_on_loopback(receiver_config(settings)) as (receiver_url, receiver),
        dg.DagsterInstance.ephemeral() as instance,
    ):
        stack = Stack(settings, instance, sim, server.base_url, client_for(server.base_url),
                      receiver_url, receiver)  # fmt: skip
        stack.poll()  # the first pull: everything, in full
        sim.business_events.activate(SALES_ORDER_CHANGED, stack.endpoint, "usrt")
        stack.settle()
        yield stack
    sim.close()


def order_row(stack: Stack, number: str) -> dict:
    columns = [
        "sales_order_status", "processing_status", "cancelled", "order_total", "lines_total",
        "line_count", "payment_method_name", "invoice_customer_account", "warehouse_id",
        "last_event_control_number", "last_event_id", "last_event_processing_status",
        "events_received",
    ]  # fmt: skip
    rows = stack.query(
        f"SELECT {', '.join(columns)} FROM canonical.sales_orders "
        "WHERE legal_entity = 'usrt' AND sales_order_number = $n",
        {"n": number},
    )
    assert len(rows) == 1, rows
    return dict(zip(columns, rows[0], strict=True))


def events_of(stack: Stack, number: str) -> list[dict]:
    return [p for p in stack.sim.business_events.sent if p.get("SalesOrderNumber") == number]


def test_the_activation_test_message_is_answered_and_ignored(stack: Stack) -> None:
    tests_sent = [p for p in stack.sim.business_events.sent if p["BusinessEventId"] == TEST_EVENT]
    assert tests_sent and tests_sent[0]["ControlNumber"] == -(2**63)
    assert stack.stats()["d365_test_messages"] >= 1
    assert not [e for e in stack.landed_events() if e["payload"]["BusinessEventId"] == TEST_EVENT]


def test_events_carry_the_envelope_d365_sends(stack: Stack) -> None:
    number = stack.create_order("US-024", ("SKU-10313", "2"))
    stack.settle()
    first, second = events_of(stack, number)
    assert first["BusinessEventId"] == SALES_ORDER_CHANGED
    assert first["EventId"] == first["EventId"].upper() and len(first["EventId"]) == 36
    assert first["EventTime"].startswith("/Date(") and first["EventTimeIso8601"].endswith("Z")
    assert len(first["EventTimeIso8601"].split(".")[1]) == 8  # seven digits and the Z
    assert second["ControlNumber"] > first["ControlNumber"] > 5_000_000_000
    assert {k: first[k] for k in ("SalesOrderNumber", "LegalEntity", "SalesOrderStatus")} == {
        "SalesOrderNumber": number, "LegalEntity": "usrt", "SalesOrderStatus": "Backorder",
    }  # fmt: skip
    stack.process_events()


def test_an_event_delivered_twice_and_out_of_order_leaves_one_row_in_its_latest_state(
    stack: Stack,
) -> None:
    duplicates_before = stack.stats()["duplicates"]
    stack.sim.business_events.hold()
    number = stack.create_order("US-024", ("SKU-10313", "3"), ("SKU-10424", "1.5"))
    stack.move(number, "confirm")
    assert stack.sim.business_events.release(reverse=True, twice=True) == 4
    stack.settle()
    sent = events_of(stack, number)
    # Newest first, each twice: the receiver saw the confirmation before the creation.
    assert [e["SalesOrderProcessingStatus"] for e in sent[:4]] == ["Confirmed"] + ["Active"] * 3
    assert len(sent) == 8
    assert stack.stats()["duplicates"] - duplicates_before == 4

    (run,) = stack.process_events()
    row = order_row(stack, number)
    newest = max(sent, key=lambda e: e["ControlNumber"])
    assert row["processing_status"] == "Confirmed" and row["sales_order_status"] == "Backorder"
    assert row["last_event_id"] == newest["EventId"]
    assert row["last_event_control_number"] == newest["ControlNumber"]
    assert row["last_event_processing_status"] == "Confirmed"
    assert row["events_received"] == 4
    # Exact money: 3 x 46.99 + 1.5 x 38.99, as D365 computed it.
    assert row["order_total"] == row["lines_total"] == Decimal("199.46")
    assert (row["line_count"], row["payment_method_name"], row["warehouse_id"]) == (
        2,
        "CARD",
        "DEN",
    )
    assert stack.query(
        "SELECT count(*) FROM raw.d365_sales_orders WHERE SalesOrderNumber = $n", {"n": number}
    ) == [(1,)]
    pulled = run.asset_materializations_for_node("landing__d365__targeted_order_pulls")
    assert pulled[0].metadata["orders_named"].value == 1


def test_a_copy_that_slips_past_the_receiver_is_counted_by_the_raw_layer(stack: Stack) -> None:
    """A redelivery the receiver no longer remembers (after its id retention) lands again; the
    raw layer loads the event once and counts the copy, as it does for Heartland."""
    number = stack.create_order("US-003", ("SKU-10235", "1"))
    stack.process_events()
    landed = [e for e in stack.landed_events() if e["payload"].get("SalesOrderNumber") == number]
    day = next(iter(stack.settings.landing_dir.joinpath(*EVENTS_DIR).glob("business_date=*")))
    with LandingWriter(LandingZone(stack.settings.landing_dir), "webhook") as writer:
        writer.append_lines(
            "d365", "business_events", day.name.split("=")[1],
            [json.dumps(line) for line in landed],
        )  # fmt: skip
    stack.process_events()
    ids = [line["event_id"] for line in landed]
    assert stack.query(
        "SELECT count(*) FROM raw.d365_business_events WHERE event_id IN (SELECT unnest($ids))",
        {"ids": ids},
    ) == [(len(ids),)]
    assert stack.query(
        "SELECT count(*) FROM ops.duplicate_events WHERE source = 'd365' "
        "AND entity = 'business_events' AND event_id IN (SELECT unnest($ids))",
        {"ids": ids},
    ) == [(len(ids),)]


def test_an_order_d365_cancels_after_its_event_shows_cancelled(stack: Stack) -> None:
    number = stack.create_order("US-024", ("SKU-10313", "1"))
    stack.process_events()
    assert order_row(stack, number)["cancelled"] is False
    stack.move(number, "cancel")
    stack.process_events()
    row = order_row(stack, number)
    assert row["cancelled"] is True
    assert (row["sales_order_status"], row["processing_status"]) == ("Canceled", "Canceled")
    assert row["last_event_processing_status"] == "Canceled"
    assert stack.query(
        "SELECT bool_and(cancelled), any_value(line_status) FROM canonical.sales_order_lines "
        "WHERE sales_order_number = $n",
        {"n": number},
    ) == [(True, "Canceled")]


def test_an_order_whose_event_never_came_is_caught_by_the_poll(stack: Stack) -> None:
    stack.sim.business_events.deactivate(SALES_ORDER_CHANGED)
    try:
        number = stack.create_order("US-003", ("SKU-10196", "4"))
        stack.settle()
        assert not events_of(stack, number)
        assert stack.process_events() == []
        assert not stack.query(
            "SELECT 1 FROM raw.d365_sales_orders WHERE SalesOrderNumber = $n", {"n": number}
        )
        stack.poll()
    finally:
        stack.sim.business_events.activate(SALES_ORDER_CHANGED, stack.endpoint, "usrt")
        stack.settle()
    row = order_row(stack, number)
    assert (row["processing_status"], row["events_received"]) == ("Active", 0)
    assert row["last_event_control_number"] is None
    # Orders the events brought in before the poll are all still there.
    assert (
        stack.query("SELECT count(*) FROM canonical.sales_orders WHERE events_received > 0")[0][0]
        >= 3
    )


def test_a_targeted_pull_landed_before_a_poll_is_applied_with_it(stack: Stack) -> None:
    """Two pulls land before raw loads (the poll's run started while a targeted pull landed):
    raw replays both, so neither the old order the event named nor the poll's new one is lost."""
    stack.sim.business_events.deactivate(SALES_ORDER_CHANGED)
    try:
        stack.move("SO-000003", "deliver")
        with stack.client.open() as api, duckdb.connect(str(stack.settings.warehouse_path)) as conn:
            refresh_orders(
                api, LandingZone(stack.settings.landing_dir), d365_fields(conn),
                {"usrt": ["SO-000003"]}, zone(stack.settings.merchant_timezone),
            )  # fmt: skip
        new = stack.create_order("US-003", ("SKU-10196", "1"))
        stack.poll()
    finally:
        stack.sim.business_events.activate(SALES_ORDER_CHANGED, stack.endpoint, "usrt")
        stack.settle()
    assert stack.query(
        "SELECT SalesOrderNumber, SalesOrderProcessingStatus FROM raw.d365_sales_orders "
        "WHERE SalesOrderNumber IN ('SO-000003', $new) ORDER BY 1",
        {"new": new},
    ) == [("SO-000003", "Delivered"), (new, "Active")]
    assert order_row(stack, "SO-000003")["sales_order_status"] == "Delivered"


def test_a_wrong_or_missing_token_is_refused_without_echoing_the_body(stack: Stack) -> None:
    marker = "4111 1111 1111 1111 do-not-echo"
    body = json.dumps({"BusinessEventId": SALES_ORDER_CHANGED, "Note": marker})
    landed_before = len(stack.landed_events())
    for path in ("/webhooks/d365/not-the-token", "/webhooks/d365/" + TOKEN[:-1]):
        answer = httpx.post(stack.receiver_url + path, content=body)
        assert answer.status_code == 401
        assert marker not in answer.text and "4111" not in answer.text
    assert httpx.post(stack.receiver_url + "/webhooks/d365/", content=body).status_code in (
        404, 405,
    )  # fmt: skip
    stack.settle()
    assert len(stack.landed_events()) == landed_before
    assert stack.stats()["rejected"]["401"]["bad_token"] >= 2


def test_an_unconfigured_token_refuses_every_event(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with receiver_on_loopback(receiver_config(settings, token="")) as (url, _):
        assert httpx.post(f"{url}/webhooks/d365/", content=b"{}").status_code in (404, 405)
        assert httpx.post(f"{url}/webhooks/d365/anything", content=b"{}").status_code == 401


def test_a_failed_delivery_is_retried_three_times_a_second_apart_then_resent(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "data")
    port = free_port()  # nothing listens there yet
    sim = D365Simulator()
    try:
        events = sim.business_events
        with serve(sim) as server:
            events.activate(SALES_ORDER_CHANGED, f"http://127.0.0.1:{port}/webhooks/d365/{TOKEN}")
            assert events.wait_idle()
            # The test message failed: one try and three retries, a second apart.
            gaps = [b - a for a, b in zip(events.attempts, events.attempts[1:], strict=False)]
            assert len(events.attempts) == 4 and all(0.9 <= gap < 2.5 for gap in gaps), gaps
            number = create_order(client_for(server.base_url), "US-024")
            assert events.wait_idle()
            errors = httpx.get(f"{server.base_url}/_simulator/business-events/errors").json()
            (failed,) = [
                e for e in errors["errors"] if e["business_event_id"] == SALES_ORDER_CHANGED
            ]
            assert failed["attempts"] == 4 and failed["payload"]["SalesOrderNumber"] == number
            assert TOKEN not in json.dumps(errors)  # the endpoint URL is D365's secret
            with receiver_on_loopback(receiver_config(settings), port) as (_, receiver):
                resent = httpx.post(
                    f"{server.base_url}/_simulator/business-events/errors/{failed['error_id']}/resend"
                )
                assert resent.status_code == 202
                assert events.wait_idle()
                assert receiver.counters.landed == 1
            remaining = httpx.get(f"{server.base_url}/_simulator/business-events/errors").json()
            assert failed["error_id"] not in [e["error_id"] for e in remaining["errors"]]
    finally:
        sim.close()


def test_a_changeset_rolled_back_sends_no_event(stack: Stack) -> None:
    """Business events go out after commit only: nothing of an aborted transaction is sent."""
    existing = stack.create_order("US-024")
    stack.settle()
    sent_before = len(stack.sim.business_events.sent)
    with stack.client.open() as api:
        (result,) = api.batch(
            [
                [
                    BatchOperation("POST", "SalesOrderHeadersV2",
                                   {"dataAreaId": "usrt", "OrderingCustomerAccountNumber": "US-003"}),
                    BatchOperation("POST", "SalesOrderLines",
                                   {"dataAreaId": "usrt", "SalesOrderNumber": existing,
                                    "ItemNumber": "NO-SUCH-ITEM", "OrderedSalesQuantity": 1}),
                ]
            ]
        )  # fmt: skip
    assert not result.ok and "Released products" in str(result.error)
    stack.settle()
    assert len(stack.sim.business_events.sent) == sent_before


def test_d365_refuses_an_order_for_an_unknown_customer_and_sends_no_event(stack: Stack) -> None:
    sent_before = len(stack.sim.business_events.sent)
    answer = httpx.post(
        f"{stack.sim_url}/data/SalesOrderHeadersV2",
        json={"dataAreaId": "usrt", "OrderingCustomerAccountNumber": "NOBODY"},
        headers={"Authorization": "Bearer nothing"},
    )
    assert answer.status_code == 401  # OData needs a token, as D365 does
    with stack.client.open() as api, pytest.raises(Exception, match="Customers"):
        api.create("SalesOrderHeadersV2", {"OrderingCustomerAccountNumber": "NOBODY"})
    stack.settle()
    assert len(stack.sim.business_events.sent) == sent_before


def test_only_well_formed_sales_order_events_name_orders_to_pull(tmp_path: Path) -> None:
    """What reaches the targeted pull's configuration (stored by Dagster) and its OData filter."""

    def line(number: object, **extra: object) -> str:
        payload = {"BusinessEventId": SALES_ORDER_CHANGED, "BusinessEventLegalEntity": "USRT",
                   "SalesOrderNumber": number}  # fmt: skip
        return json.dumps({"event_id": "E", "payload": payload, **extra})

    segment = tmp_path / "segment.ndjson"
    segment.write_text(
        "\n".join([
            line("SO-000100"),
            line("SO-000100"),  # a redelivery names it once
            line("4111111111111111"),  # a card number is never an order to pull
            line("SO-000101'); DROP"),  # nothing odd reaches an OData filter
            line(42),
            line("SO-000102", receiver_problem="outside_partitions: ..."),
            json.dumps({"event_id": "E", "payload": {"BusinessEventId": "CustFreeTextInvoicePostedBusinessEvent"}}),
            "not json",
        ])
        + "\n"
    )  # fmt: skip
    named = orders_named([segment])
    assert named.as_config() == ["usrt/SO-000100"]
    assert (named.events, named.other_events) == (5, 1)
    assert parse_order_config(named.as_config()) == [("usrt", "SO-000100")]
    with pytest.raises(ValueError, match="411111XXXXXX1111"):
        parse_order_config(["usrt/4111111111111111"])
