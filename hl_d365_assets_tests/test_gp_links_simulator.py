"""The GP-API simulator's payment side speaks GP-API: payment links (create, get, list, edit,
expiry), stored payment methods without card numbers, charges against them with
x-gp-idempotency (a reused key is 40039 naming what the first request made), deterministic
declines, and a link paid by the customer that lands in the day's transaction listing and is
posted, signed, to the link's status_url.

Raw HTTP (plain httpx) against the simulator in process; notifications go to a real loopback
HTTP server."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from hl_d365_assets.heartland.signature import SIGNATURE_HEADER, verify
from hl_d365_assets.pci import contains_card_number
from hl_d365_assets.sandbox.card_brands import CARD_BRANDS_BY_NAME
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator

VERSION = {"X-GP-Version": "2021-03-22"}
NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def link_request(reference: str = "SO-000001", **changes) -> dict:
    return {
        "type": "PAYMENT",
        "usage_mode": "SINGLE",
        "usage_limit": "1",
        "reference": reference,
        "name": f"Order {reference}",
        "expiration_date": "2026-11-21T11:06:40Z",
        "status": "ACTIVE",
        "transactions": {"amount": "122712", "channel": "CNP", "currency": "USD"},
        "payer": {"email": "ap@westbrook.example"},
        **changes,
    }


class Receiver:
    """A loopback HTTP server recording what is POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/heartland"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> HeartlandSimulator:
    return HeartlandSimulator(clock=clock)


@pytest.fixture
def gp(sim: HeartlandSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sim.transport(), base_url="http://simulator") as raw:
        raw.headers.update(bearer(raw))
        yield raw


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def post(gp: httpx.Client, path: str, body: dict, key: str | None) -> httpx.Response:
    headers = {"x-gp-idempotency": key} if key else {}
    return gp.post(path, json=body, headers=headers)


def test_a_payment_link_is_created_with_an_lnk_id_url_and_action_and_read_back(
    gp: httpx.Client,
) -> None:
    created = post(gp, "/ucp/links", link_request(), "key-1")

    assert created.status_code == 200
    link = created.json()
    assert re.fullmatch(r"LNK_[A-Za-z0-9]{30}", link["id"])
    assert link["url"].startswith("http://simulator/ucp/hpp/redirect/")
    assert (link["status"], link["type"], link["usage_mode"], link["usage_limit"]) == (
        "ACTIVE", "PAYMENT", "SINGLE", "1",
    )  # fmt: skip
    assert link["action"]["type"] == "LINK_CREATE" and link["action"]["result_code"] == "SUCCESS"
    assert link["transactions"]["amount"] == "122712"
    assert link["transactions"]["transaction_list"] == []
    assert "ap@westbrook.example" not in created.text  # the payer's e-mail is not echoed
    got = gp.get(f"/ucp/links/{link['id']}").json()
    assert got["reference"] == "SO-000001" and "action" not in got
    listed = gp.get("/ucp/links", params={"reference": "SO-000001"}).json()
    assert listed["total_record_count"] == 1
    assert [row["id"] for row in listed["links"]] == [link["id"]]
    assert gp.get("/ucp/links", params={"reference": "SO-999"}).json()["total_record_count"] == 0


def test_an_unknown_link_is_40118_and_a_link_without_reference_or_amount_is_40005(
    gp: httpx.Client,
) -> None:
    missing = gp.get("/ucp/links/LNK_nope")
    assert missing.status_code == 404
    assert missing.json()["detailed_error_code"] == "40118"
    assert "Links LNK_nope not found at this /ucp/links/LNK_nope" in missing.text
    request = link_request()
    del request["reference"]
    assert post(gp, "/ucp/links", request, None).json()["detailed_error_code"] == "40005"
    float_amount = b'{"type":"PAYMENT","usage_mode":"SINGLE","usage_limit":"1","reference":"X",'
    float_amount += b'"transactions":{"amount":1227.12,"currency":"USD"}}'
    assert gp.post("/ucp/links", content=float_amount).status_code == 400


def test_editing_a_link_needs_usage_mode_type_and_limit_and_answers_link_edit(
    gp: httpx.Client,
) -> None:
    link = post(gp, "/ucp/links", link_request(), None).json()

    incomplete = gp.patch(f"/ucp/links/{link['id']}", json={"name": "New"})
    edited = gp.patch(
        f"/ucp/links/{link['id']}",
        json={"usage_mode": "SINGLE", "type": "PAYMENT", "usage_limit": "1", "status": "INACTIVE"},
    )

    assert incomplete.json()["detailed_error_code"] == "40005"
    assert edited.json()["action"]["type"] == "LINK_EDIT"
    assert gp.get(f"/ucp/links/{link['id']}").json()["status"] == "INACTIVE"
    assert gp.get("/ucp/links", params={"status": "INACTIVE"}).json()["total_record_count"] == 1


def test_a_link_that_expires_unpaid_reads_expired_once_its_date_passes(
    gp: httpx.Client,
) -> None:
    link = post(gp, "/ucp/links", link_request(), None).json()
    assert gp.get(f"/ucp/links/{link['id']}").json()["status"] == "ACTIVE"

    gp.post("/sandbox/clock", json={"advance_seconds": 3 * 86_400})  # past 2026-11-21T11:06:40Z

    assert gp.get(f"/ucp/links/{link['id']}").json()["status"] == "EXPIRED"
    assert gp.get("/ucp/links", params={"status": "EXPIRED"}).json()["total_record_count"] == 1
    paying = gp.post(f"/sandbox/links/{link['id']}/pay")
    assert paying.status_code == 400 and "EXPIRED" in paying.text


def test_stored_payment_methods_show_the_last_four_masked_and_never_a_card_number(
    gp: httpx.Client,
) -> None:
    listed = gp.get("/ucp/payment-methods", params={"reference": "usrt/US-003"})

    [method] = listed.json()["payment_methods"]
    assert method["id"].startswith("PMT_") and method["status"] == "ACTIVE"
    assert method["card"]["number_last4"] == "xxxxxxxxxxxx1111"
    assert gp.get(f"/ucp/payment-methods/{method['id']}").json() == method
    everything = gp.get("/ucp/payment-methods").text
    assert not contains_card_number(everything)
    unknown = gp.get("/ucp/payment-methods/PMT_nope")
    assert unknown.status_code == 404
    assert unknown.json()["detailed_error_code"] == "40116"
    assert "payment_method PMT_nope not found at this location" in unknown.text


def charge(pmt: str, reference: str = "SO-000004") -> dict:
    return {
        "channel": "CNP",
        "type": "SALE",
        "capture_mode": "AUTO",
        "amount": "178677",
        "currency": "USD",
        "reference": reference,
        "order": {"reference": reference},
        "payment_method": {"id": pmt, "entry_mode": "ECOM"},
        "initiator": "MERCHANT",
        "stored_credential": {"model": "UNSCHEDULED", "sequence": "SUBSEQUENT"},
    }


def test_a_stored_card_charge_is_captured_once_and_its_key_reused_is_40039_naming_it(
    gp: httpx.Client, sim: HeartlandSimulator
) -> None:
    pmt = sim.payments.payment_method_of("usrt/US-003")

    first = post(gp, "/ucp/transactions", charge(pmt), "usrt-SO-000004-stored_card")
    again = post(gp, "/ucp/transactions", charge(pmt), "usrt-SO-000004-stored_card")

    transaction = first.json()
    assert transaction["status"] == "CAPTURED"
    assert re.fullmatch(r"TRN_[A-Za-z0-9]{30}", transaction["id"])
    assert transaction["payment_method"]["id"] == pmt
    assert transaction["payment_method"]["result"] == "00"
    assert transaction["order"] == {"reference": "SO-000004"}
    assert again.status_code == 409
    assert again.json() == {
        "error_code": "DUPLICATE_ACTION",
        "detailed_error_code": "40039",
        "detailed_error_description": "Idempotency Key seen before: "
        f"id={transaction['id']}, status=CAPTURED",
    }
    assert len(sim.payments.transactions) == 1


def test_a_charge_declined_then_retried_with_the_same_key_is_40039_and_no_second_charge(
    gp: httpx.Client, sim: HeartlandSimulator
) -> None:
    pmt = sim.payments.payment_method_of("usrt/US-016")  # seeded to decline

    declined = post(gp, "/ucp/transactions", charge(pmt, "SO-000009"), "key-9").json()
    retried = post(gp, "/ucp/transactions", charge(pmt, "SO-000009"), "key-9")

    assert declined["status"] == "DECLINED"
    assert declined["action"]["result_code"] == "DECLINED"
    assert declined["payment_method"]["result"] == "101"
    assert retried.status_code == 409
    assert f"id={declined['id']}, status=DECLINED" in retried.text
    assert len(sim.payments.transactions) == 1


def test_declines_are_scripted_per_stored_method_and_card_data_is_refused(
    gp: httpx.Client, sim: HeartlandSimulator
) -> None:
    pmt = sim.payments.payment_method_of("usrt/CA-004")
    gp.post(f"/sandbox/payment-methods/{pmt}/decline", json={"times": 1})

    statuses = [
        post(gp, "/ucp/transactions", charge(pmt, f"SO-{n}"), None).json()["status"]
        for n in range(2)
    ]
    with_card = charge(pmt)
    with_card["payment_method"] = {"card": {"expiry_month": "12", "expiry_year": "29"}}

    assert statuses == ["DECLINED", "CAPTURED"]
    assert post(gp, "/ucp/transactions", with_card, None).status_code == 400


def test_a_paid_link_makes_a_captured_sale_listed_that_day_and_posted_signed_to_status_url(
    gp: httpx.Client, sim: HeartlandSimulator, receiver: Receiver
) -> None:
    request = link_request("SO-000007", notifications={"status_url": receiver.url})
    link = post(gp, "/ucp/links", request, None).json()

    paid = gp.post(f"/sandbox/links/{link['id']}/pay").json()

    transaction = paid["transaction"]
    assert transaction["status"] == "CAPTURED"
    assert transaction["reference"] == "SO-000007"
    assert transaction["link_data"] == {"id": link["id"], "reference": "SO-000007"}
    assert paid["notification"]["status"] == 200
    [(path, headers, body)] = receiver.received
    assert path == "/webhooks/heartland"
    assert verify(body, SANDBOX_APP_KEY, headers[SIGNATURE_HEADER])
    assert json.loads(body)["id"] == transaction["id"]
    compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    assert body == compact  # what every GP signature check agrees on
    after = gp.get(f"/ucp/links/{link['id']}").json()
    assert after["status"] == "PAID"  # UNCONFIRMED: PAID or CLOSED after the last use
    assert [t["id"] for t in after["transactions"]["transaction_list"]] == [transaction["id"]]
    day = transaction["time_created"][:10]
    listed = gp.get(
        "/ucp/transactions",
        params={"from_time_created": day, "to_time_created": day, "reference": "SO-000007"},
    ).json()
    [row] = listed["transactions"]
    assert row["id"] == transaction["id"] and "action" not in row
    assert row["merchant_id"] == "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"  # S001 takes USD
    assert gp.get(f"/ucp/transactions/{transaction['id']}").json()["id"] == transaction["id"]


def test_created_transactions_stay_listed_when_the_landing_is_reloaded(
    gp: httpx.Client, sim: HeartlandSimulator, tmp_path
) -> None:
    pmt = sim.payments.payment_method_of("usrt/US-003")
    transaction = post(gp, "/ucp/transactions", charge(pmt), None).json()

    sim.load_landing(tmp_path)

    day = transaction["time_created"][:10]
    listed = gp.get(
        "/ucp/transactions", params={"from_time_created": day, "to_time_created": day}
    ).json()
    assert [row["id"] for row in listed["transactions"]] == [transaction["id"]]


def test_the_end_of_day_close_batches_the_days_captures_with_fees_and_lists_the_batch(
    gp: httpx.Client, sim: HeartlandSimulator, tmp_path
) -> None:
    """The sales the desk captured settle like the sandbox's days: a closed batch with its brand
    breakdown, the price list's fees and the deposit, served by the batch listing (also after a
    reload) — so a day with D365 order payments can agree with settlement."""
    pmt = sim.payments.payment_method_of("usrt/US-003")
    charged = post(gp, "/ucp/transactions", charge(pmt), None).json()
    link = post(gp, "/ucp/links", link_request("SO-000007"), None).json()
    paid = gp.post(f"/sandbox/links/{link['id']}/pay").json()["transaction"]
    declined = post(gp, "/ucp/links", link_request("SO-000008"), None).json()
    gp.post(f"/sandbox/links/{declined['id']}/pay", json={"decline": True})

    [batch] = gp.post("/sandbox/batches/close").json()["batches"]

    assert charged["batch_id"] == paid["batch_id"] == batch["id"]
    amounts = [int(charged["amount"]), int(paid["amount"])]
    assert (batch["status"], batch["transaction_count"], batch["amount"]) == (
        "CLOSED", 2, str(sum(amounts)),
    )  # fmt: skip
    fees = sum(
        CARD_BRANDS_BY_NAME[row["brand"]].fees(row["sales"]["count"], int(row["sales"]["amount"]))
        for row in batch["brand_breakdown"]
    )
    assert sum(int(row["amount"]) for row in batch["brand_breakdown"]) == sum(amounts)
    assert batch["deposit"] == {
        "id": batch["deposit"]["id"], "time_created": batch["time_closed"][:10],
        "status": "FUNDED", "amount": str(sum(amounts) - fees), "fees": {"amount": str(fees)},
    }  # fmt: skip
    assert gp.post("/sandbox/batches/close").json() == {"batches": []}  # closed once
    day = batch["time_created"][:10]
    sim.load_landing(tmp_path)
    listed = gp.get("/ucp/batches", params={"from_time_created": day, "to_time_created": day})
    assert [row["id"] for row in listed.json()["batches"]] == [batch["id"]]


def test_the_receiver_accepts_and_lands_a_paid_links_notification(tmp_path) -> None:
    """Over real HTTP to the real receiver (`hl-d365 webhook serve --sandbox`): the signature
    holds and the payment lands at the payment-notification endpoint (the links' status_url),
    carrying the order number."""
    from hl_d365_assets.landing import LandingZone
    from hl_d365_assets.webhook.payment_notifications import PAYMENTS_PATH
    from hl_d365_assets.webhook.process import free_port, start_receiver

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    receiver = start_receiver(data_dir, port)
    try:
        sim = HeartlandSimulator()
        with httpx.Client(transport=sim.transport(), base_url="http://simulator") as raw:
            status_url = f"http://127.0.0.1:{port}{PAYMENTS_PATH}"
            request = link_request("SO-000003", notifications={"status_url": status_url})
            request["expiration_date"] = "2099-01-01T00:00:00Z"
            link_id = raw.post("/ucp/links", json=request, headers=bearer(raw)).json()["id"]
            paid = raw.post(f"/sandbox/links/{link_id}/pay").json()
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)

    assert paid["notification"]["status"] == 200
    zone = LandingZone(data_dir / "landing")
    day = zone.business_dates("heartland", "payment_notifications")
    [segment] = [s for d in day for s in zone.segments("heartland", "payment_notifications", d)]
    [landed] = [json.loads(line) for line in segment.read_text().splitlines()]
    assert landed["payload"]["id"] == paid["transaction"]["id"]
    assert landed["payload"]["link_data"]["reference"] == "SO-000003"
    assert landed["event_type"] == "payment.notified"


def bearer(raw: httpx.Client) -> dict[str, str]:
    """The version header and a bearer token of the sandbox app."""
    nonce = "2026-11-18T11:06:40.000Z"
    token = raw.post(
        "/ucp/accesstoken",
        headers=VERSION,
        json={
            "app_id": SANDBOX_APP_ID,
            "nonce": nonce,
            "secret": hashlib.sha512((nonce + SANDBOX_APP_KEY).encode()).hexdigest(),
            "grant_type": "client_credentials",
        },
    ).json()["token"]
    return {**VERSION, "Authorization": f"Bearer {token}"}


def test_links_charges_and_seen_keys_survive_a_restart_of_the_simulator(tmp_path) -> None:
    state = tmp_path / "gp_payments.json"
    before = HeartlandSimulator(payments_state=state)
    with httpx.Client(transport=before.transport(), base_url="http://simulator") as raw:
        headers = bearer(raw)
        link = raw.post("/ucp/links", json=link_request(), headers=headers).json()
        pmt = before.payments.payment_method_of("usrt/US-003")
        charged = post_with(raw, headers, charge(pmt), "charge-key").json()

    after = HeartlandSimulator(payments_state=state)
    with httpx.Client(transport=after.transport(), base_url="http://simulator") as raw:
        headers = bearer(raw)
        assert raw.get(f"/ucp/links/{link['id']}", headers=headers).json()["reference"] == (
            "SO-000001"
        )
        again = post_with(raw, headers, charge(pmt), "charge-key")
        day = charged["time_created"][:10]
        listed = raw.get(
            "/ucp/transactions",
            headers=headers,
            params={"from_time_created": day, "to_time_created": day},
        ).json()

    assert again.status_code == 409 and charged["id"] in again.text
    assert [row["id"] for row in listed["transactions"]] == [charged["id"]]
    assert "ap@westbrook.example" not in state.read_text()


def post_with(raw: httpx.Client, headers: dict, body: dict, key: str) -> httpx.Response:
    return raw.post("/ucp/transactions", json=body, headers={**headers, "x-gp-idempotency": key})
