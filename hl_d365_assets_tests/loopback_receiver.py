"""The webhook receiver served on loopback, and the D365 client and order creation that make the
D365 simulator send it business events: shared by the tests that land D365 events and payment
notifications through the real receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_TENANT_ID,
)
from hl_d365_assets.settings import Settings
from hl_d365_assets.webhook.config import ReceiverConfig
from hl_d365_assets.webhook.process import free_port
from hl_d365_assets.webhook.receiver import WebhookReceiver, create_app

TOKEN = "d365-events-" + "k3y" * 12


@contextmanager
def receiver_on_loopback(
    config: ReceiverConfig, port: int = 0
) -> Iterator[tuple[str, WebhookReceiver]]:
    """The receiver app served by uvicorn on loopback, as ``hl-d365 webhook serve`` serves it."""
    app = create_app(config)
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app.state.receiver
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def receiver_config(
    settings: Settings, token: str = TOKEN, app_key: str = "heartland-app-key-unused-here"
) -> ReceiverConfig:
    """The receiver's settings: D365's events at ``/webhooks/d365/<token>``, GP-API's signed with
    ``app_key``, segments committed 0.2 s after their last line."""
    return ReceiverConfig.from_settings(
        settings, app_key, d365_events_token=token, max_segment_age_seconds=0.2
    )


def client_for(base_url: str) -> D365Client:
    return D365Client(
        environment_url=base_url,
        identity_url_override=base_url,
        tenant_id=SANDBOX_TENANT_ID,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )


def create_order(client: D365Client, customer: str, *lines: tuple[str, str]) -> str:
    """An order and its lines created over OData, as an integration or D365's UI would."""
    with client.open() as api:
        header = api.create(
            "SalesOrderHeadersV2",
            {"dataAreaId": "usrt", "OrderingCustomerAccountNumber": customer,
             "CustomerPaymentMethodName": "CARD", "DefaultShippingWarehouseId": "DEN"},
        )  # fmt: skip
        number = header["SalesOrderNumber"]
        for item, quantity in lines:
            api.create(
                "SalesOrderLines",
                {"dataAreaId": "usrt", "SalesOrderNumber": number, "ItemNumber": item,
                 "OrderedSalesQuantity": quantity},
            )  # fmt: skip
    return number
