"""The GP-API client's writes: every POST carries the caller's x-gp-idempotency key, a reused
key is a HeartlandDuplicateRequest naming what the first request made, a write that may have
reached GP is never repeated (HeartlandOutcomeUnknown), one that never got through is
HeartlandUnavailable, and no error repeats the body (which carries the payer's e-mail).

Against the GP-API simulator in process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from hl_d365_assets.heartland.client import (
    HeartlandApi,
    HeartlandClient,
    HeartlandDuplicateRequest,
    HeartlandOutcomeUnknown,
    HeartlandUnavailable,
)
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator

EMAIL = "ap@westbrook-architects.example"
LINKS = "/ucp/links"


def link(reference: str = "SO-000001") -> dict:
    return {
        "type": "PAYMENT",
        "usage_mode": "SINGLE",
        "usage_limit": "1",
        "reference": reference,
        "expiration_date": "2099-01-01T00:00:00Z",
        "transactions": {"amount": "122712", "currency": "USD", "channel": "CNP"},
        "payer": {"email": EMAIL},
    }


@pytest.fixture
def sim() -> HeartlandSimulator:
    return HeartlandSimulator()


@pytest.fixture
def api(sim: HeartlandSimulator) -> Iterator[HeartlandApi]:
    client = HeartlandClient(
        base_url="http://gp.sim/ucp",
        app_id=SANDBOX_APP_ID,
        app_key=SANDBOX_APP_KEY,
        backoff_base_seconds=0,
        max_attempts=3,
    )
    with client.open(sim.transport(), sleep=lambda seconds: None) as session:
        yield session


def test_a_link_is_created_under_the_callers_key_and_found_by_reference(
    api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    created = api.create_link(link(), idempotency_key="usrt-SO-000001-link")

    assert created["id"].startswith("LNK_")
    assert sim.payments.seen_keys == {"usrt-SO-000001-link"}
    assert [row["id"] for row in api.list_links(reference="SO-000001")] == [created["id"]]
    assert api.get_link(created["id"])["status"] == "ACTIVE"


def test_a_reused_key_raises_duplicate_request_naming_the_first_link(api: HeartlandApi) -> None:
    created = api.create_link(link(), idempotency_key="key-1")

    with pytest.raises(HeartlandDuplicateRequest) as raised:
        api.create_link(link(), idempotency_key="key-1")

    assert raised.value.resource_id == created["id"]
    assert raised.value.detailed_error_code == "40039"
    assert EMAIL not in str(raised.value)


def test_a_stored_card_charge_and_its_payment_found_by_the_order_number(
    api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    [method] = api.list_payment_methods(reference="usrt/US-003", status="ACTIVE")
    body = {
        "channel": "CNP", "type": "SALE", "amount": "178677", "currency": "USD",
        "reference": "SO-000004", "payment_method": {"id": method["id"]},
        "initiator": "MERCHANT",
        "stored_credential": {"model": "UNSCHEDULED", "sequence": "SUBSEQUENT"},
    }  # fmt: skip

    charged = api.charge_stored_payment_method(body, idempotency_key="usrt-SO-000004-stored_card")

    today = date.fromisoformat(charged["time_created"][:10])
    [found] = api.find_transactions("SO-000004", today, today)
    assert found["id"] == charged["id"] and found["status"] == "CAPTURED"
    assert api.get_transaction(charged["id"])["amount"] == "178677"
    assert api.get_payment_method(method["id"])["card"]["number_last4"].startswith("xxxx")


def test_a_write_whose_connection_drops_is_not_repeated_and_its_outcome_is_unknown(
    api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    sim.faults.drop(times=1, path=LINKS)

    with pytest.raises(HeartlandOutcomeUnknown) as raised:
        api.create_link(link(), idempotency_key="key-2")

    assert sim.requests[LINKS] == 1
    assert str(raised.value).startswith("POST /ucp/links got no answer")
    assert EMAIL not in str(raised.value)


def test_a_write_refused_with_503_is_repeated_under_the_same_key_and_made_once(
    api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    sim.faults.fail(times=1, status=503, path=LINKS)

    created = api.create_link(link(), idempotency_key="key-3")

    assert sim.requests[LINKS] == 2
    assert list(sim.payments.links) == [created["id"]]


def test_gp_down_is_unavailable_naming_the_request_not_its_body(
    api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    api.list_links(reference="SO-000001")  # a token in hand
    sim.faults.fail(times=None, status=503, path=LINKS)

    with pytest.raises(HeartlandUnavailable) as raised:
        api.create_link(link(), idempotency_key="key-4")

    assert str(raised.value).startswith("POST /ucp/links failed after 3 attempts")
    assert EMAIL not in str(raised.value)
    assert sim.payments.links == {}
