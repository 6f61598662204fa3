"""The webhook receiver's refusals name the field and the problem, never a card number in it.

A card number typed into the wrong field of a notification must not travel back to the caller
in a 400 or 422 answer, nor into the receiver's log. Run against the real receiver process on a
loopback port, as a sender would meet it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, sign
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_KEY
from hl_d365_assets.webhook import WEBHOOK_PATH
from hl_d365_assets.webhook.process import free_port, start_receiver

from .independent_card_scan import card_numbers_in

PANS_AS_WRITTEN = ("4111111111111111", "3782 822463 10005", "6011-0009-9013-9424")

TRANSACTION = {
    "event_id": "EVT_REFUSED",
    "event_type": "transaction.captured",
    "payload": {
        "id": "TRN_REFUSED",
        "time_created": "2026-11-20T19:03:22.123Z",
        "action": {"id": "ACT_REFUSED"},
    },
}


def _with(path: tuple[str, ...], value: object) -> dict:
    document = json.loads(json.dumps(TRANSACTION))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


# (case, body with the PAN in it, status, the field the answer must name)
REFUSALS = [
    ("unknown-event-type", lambda pan: _with(("event_type",), pan), 422, "event_type"),
    (
        "event-type-in-free-text",
        lambda pan: _with(("event_type",), f"card {pan} captured"),
        422,
        "event_type",
    ),
    (
        "timestamp",
        lambda pan: _with(("payload", "time_created"), pan),
        400,
        "time_created",
    ),
    (
        "resource-id",
        lambda pan: {"id": pan, "status": "CLOSED"},
        400,
        "resource id",
    ),
    (
        "batch-status",
        lambda pan: {"id": "BAT_REFUSED", "status": f"{pan}"},
        400,
        "status",
    ),
]


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("refusals")
    port = free_port()
    log = root / "receiver.log"
    server = start_receiver(root / "data", port, log_path=log)
    try:
        yield f"http://127.0.0.1:{port}{WEBHOOK_PATH}", log
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("pan", PANS_AS_WRITTEN)
@pytest.mark.parametrize(
    ("body_with", "status", "field"),
    [(body, status, field) for _, body, status, field in REFUSALS],
    ids=[case for case, _, _, _ in REFUSALS],
)
def test_refusal_names_the_field_and_masks_the_card_number_it_holds(
    receiver, pan, body_with, status, field
) -> None:
    url, _ = receiver
    body = json.dumps(body_with(pan), separators=(",", ":")).encode()
    answer = httpx.post(
        url,
        content=body,
        headers={"content-type": "application/json", SIGNATURE_HEADER: sign(body, SANDBOX_APP_KEY)},
        timeout=10,
    )
    assert answer.status_code == status
    assert field in answer.json()["detail"]
    digits = pan.replace(" ", "").replace("-", "")
    assert card_numbers_in(answer.text) == []
    assert digits not in answer.text.replace(" ", "").replace("-", "")
    assert f"{digits[:6]}X" in answer.text  # the value is still recognisable, masked


def test_the_receiver_log_holds_no_card_number_after_the_refusals(receiver) -> None:
    url, log = receiver
    body = json.dumps(_with(("event_type",), PANS_AS_WRITTEN[0])).encode()
    httpx.post(url, content=body, headers={SIGNATURE_HEADER: sign(body, SANDBOX_APP_KEY)})
    assert card_numbers_in(log.read_text(encoding="utf-8", errors="replace")) == []
