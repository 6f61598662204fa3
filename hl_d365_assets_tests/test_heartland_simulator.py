"""The Heartland simulator speaks GP-API: token exchange, bearer and version headers, GP's error
envelope, paged listings of the sandbox's latest states, and faults on demand.

Raw HTTP (plain httpx) against the simulator in process and on a real loopback server; the
client's own behaviour is pinned in test_heartland_client.py. Data: two sandbox days, 2 stores
x 50 gateway transactions.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import SANDBOX_DAY, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve

DAYS = [SANDBOX_DAY - timedelta(days=1), SANDBOX_DAY]
VERSION = {"X-GP-Version": "2021-03-22"}
WHOLE_RANGE = {"from_time_created": "2026-11-01", "to_time_created": "2026-11-30"}


class FakeClock:
    def __init__(self, now: float = 1_795_000_000.0) -> None:  # 2026-11-18T11:06:40Z
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[LandingZone, list[dict]]:
    root = tmp_path_factory.mktemp("heartland_sim")
    zone = LandingZone(root / "landing")
    report = generate(zone, DAYS, SandboxConfig(transactions_per_store_day=50, store_count=2))
    return zone, report.ground_truth


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(landed: tuple[LandingZone, list[dict]], clock: FakeClock) -> HeartlandSimulator:
    return HeartlandSimulator(landed[0], clock=clock)


@pytest.fixture
def http(sim: HeartlandSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sim.transport(), base_url="http://simulator") as client:
        yield client


def token_body(app_id: str = SANDBOX_APP_ID, app_key: str = SANDBOX_APP_KEY, **extra) -> dict:
    nonce = "2026-11-20T10:00:00.000Z-test"
    secret = hashlib.sha512((nonce + app_key).encode()).hexdigest()
    return {
        "app_id": app_id,
        "nonce": nonce,
        "secret": secret,
        "grant_type": "client_credentials",
        **extra,
    }


def bearer(http: httpx.Client) -> dict[str, str]:
    response = http.post("/ucp/accesstoken", json=token_body(), headers=VERSION)
    assert response.status_code == 200, response.text
    return {**VERSION, "Authorization": f"Bearer {response.json()['token']}"}


def assert_gp_error(response: httpx.Response, status: int, error_code: str, detail: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "detailed_error_code", "detailed_error_description"}
    assert body["error_code"] == error_code
    assert body["detailed_error_code"].isdigit()
    assert detail in body["detailed_error_description"]


def landed_envelopes(zone: LandingZone, entity: str) -> list[dict]:
    envelopes = []
    for day in zone.business_dates("heartland", entity):
        for segment in zone.segments("heartland", entity, day):
            for line in segment.read_text(encoding="utf-8").splitlines():
                try:
                    envelopes.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return envelopes


def list_all(http: httpx.Client, headers: dict, path: str, **params) -> list[dict]:
    response = http.get(path, params={**WHOLE_RANGE, "page_size": 1000, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()[path.rsplit("/", 1)[1]]


# -- access token --------------------------------------------------------------------------------


def test_token_for_the_right_secret_has_the_reference_shape(
    http: httpx.Client, clock: FakeClock
) -> None:
    response = http.post(
        "/ucp/accesstoken", json=token_body(seconds_to_expire=200), headers=VERSION
    )

    assert response.status_code == 200
    token = response.json()
    assert token["type"] == "Bearer"
    assert token["app_id"] == SANDBOX_APP_ID
    assert token["seconds_to_expire"] == 200
    assert token["time_created"] == "2026-11-18T11:06:40.000Z"
    assert token["scope"]["merchant_id"].startswith("MER_")
    accounts = {account["name"]: account["id"] for account in token["scope"]["accounts"]}
    assert accounts["settlement_reporting"].startswith("DAA_")
    assert accounts["transaction_processing"].startswith("TRA_")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (token_body(app_key="not-the-key"), "Credentials not recognized to create access token."),
        (token_body(app_id="someone-else"), "App credentials not recognized"),
    ],
    ids=["wrong-key", "wrong-app-id"],
)
def test_wrong_credentials_are_refused_as_gp_does(
    http: httpx.Client, body: dict, detail: str
) -> None:
    response = http.post("/ucp/accesstoken", json=body, headers=VERSION)

    assert_gp_error(response, 403, "ACTION_NOT_AUTHORIZED", detail)


def test_token_request_without_a_mandatory_field_names_it(http: httpx.Client) -> None:
    body = token_body()
    del body["nonce"]

    response = http.post("/ucp/accesstoken", json=body, headers=VERSION)

    assert_gp_error(response, 400, "MANDATORY_DATA_MISSING", "nonce")


@pytest.mark.parametrize("seconds", [10, 604_801])
def test_token_lifetime_outside_gp_bounds_is_refused(http: httpx.Client, seconds: int) -> None:
    response = http.post(
        "/ucp/accesstoken", json=token_body(seconds_to_expire=seconds), headers=VERSION
    )

    assert_gp_error(response, 400, "INVALID_REQUEST_DATA", "seconds_to_expire")


# -- bearer and version headers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic abc"], ids=["none", "unknown", "basic"]
)
def test_data_requests_need_a_valid_bearer_token(
    http: httpx.Client, authorization: str | None
) -> None:
    headers = dict(VERSION) | ({"Authorization": authorization} if authorization else {})

    response = http.get("/ucp/transactions", params=WHOLE_RANGE, headers=headers)

    assert_gp_error(response, 401, "NOT_AUTHENTICATED", "Invalid access token")


def test_token_stops_working_when_it_expires_or_is_revoked(
    http: httpx.Client, sim: HeartlandSimulator, clock: FakeClock
) -> None:
    response = http.post(
        "/ucp/accesstoken", json=token_body(seconds_to_expire=300), headers=VERSION
    )
    headers = {**VERSION, "Authorization": f"Bearer {response.json()['token']}"}
    assert http.get("/ucp/transactions", headers=headers).status_code == 200

    clock.now += 300
    assert http.get("/ucp/transactions", headers=headers).status_code == 401

    fresh = bearer(http)
    sim.expire_tokens()
    assert http.get("/ucp/transactions", headers=fresh).status_code == 401


def test_requests_without_x_gp_version_are_refused(http: httpx.Client) -> None:
    headers = bearer(http)
    del headers["X-GP-Version"]

    assert_gp_error(
        http.get("/ucp/transactions", headers=headers),
        400,
        "MANDATORY_DATA_MISSING",
        "X-GP-Version",
    )
    assert_gp_error(
        http.post("/ucp/accesstoken", json=token_body()), 400, "MANDATORY_DATA_MISSING", "X-GP-"
    )


def test_unknown_path_is_resource_not_found(http: httpx.Client) -> None:
    response = http.get("/ucp/settlement/deposits", headers=bearer(http))

    assert_gp_error(response, 404, "RESOURCE_NOT_FOUND", "/ucp/settlement/deposits")


# -- listings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from_time_created": "2026-11-20T00:00:00Z"}, "from_time_created"),
        ({"to_time_created": "20261120"}, "to_time_created"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"order": "UP"}, "order"),
        ({"order_by": "AMOUNT"}, "order_by"),
        ({"status": "CAPTURED"}, "unexpected fields: status"),
    ],
)
def test_invalid_list_parameters_are_refused_naming_the_parameter(
    http: httpx.Client, params: dict, named: str
) -> None:
    response = http.get("/ucp/transactions", params=params, headers=bearer(http))

    assert_gp_error(response, 400, "INVALID_REQUEST_DATA", named)


def test_each_transaction_is_served_once_in_its_latest_state(
    http: httpx.Client, landed: tuple[LandingZone, list[dict]]
) -> None:
    zone, ground_truth = landed
    events_by_id: dict[str, list[dict]] = defaultdict(list)
    for envelope in landed_envelopes(zone, "payment_transactions"):
        events_by_id[envelope["payload"]["id"]].append(envelope["payload"])

    served = list_all(http, bearer(http), "/ucp/transactions")

    assert sorted(row["id"] for row in served) == sorted(events_by_id)
    for row in served:
        latest = max(events_by_id[row["id"]], key=lambda p: p["time_last_updated"])
        first = min(events_by_id[row["id"]], key=lambda p: p["time_last_updated"])
        # A report row as GP-API serves it: no action object, the creating action's id instead.
        expected = {key: value for key, value in latest.items() if key != "action"}
        assert row == {**expected, "action_create_id": first["action"]["id"]}
    voided = [i for i, events in events_by_id.items() if len({e["status"] for e in events}) > 1]
    assert voided, "the sandbox lands voids and reversals as a second event"
    assert all(next(r for r in served if r["id"] == i)["status"] == "REVERSED" for i in voided)
    # A cut line is never served: its transaction is served only from another whole line (its
    # void, say), as checked above, or not at all.
    cut = {t["key"] for t in ground_truth if t["defect"] == "malformed_json"}
    assert cut, "the sandbox cuts some transaction lines"
    served_ids = {row["id"] for row in served}
    assert {key for key in cut if key not in events_by_id} & served_ids == set()


def test_rows_follow_the_requested_order(http: httpx.Client) -> None:
    headers = bearer(http)

    by_time = list_all(http, headers, "/ucp/transactions")
    by_id_desc = list_all(http, headers, "/ucp/transactions", order_by="ID", order="DESC")

    times = [row["time_created"] for row in by_time]
    assert times == sorted(times)
    ids = [row["id"] for row in by_id_desc]
    assert ids == sorted(ids, reverse=True)


def test_pages_carry_gp_paging_envelope_and_partition_the_range(http: httpx.Client) -> None:
    headers = bearer(http)
    params = {"from_time_created": "2026-11-20", "to_time_created": "2026-11-20", "page_size": 40}

    pages = [
        http.get("/ucp/transactions", params={**params, "page": n}, headers=headers).json()
        for n in (1, 2, 3, 4)
    ]

    total = pages[0]["total_record_count"]
    assert 40 < total <= 160
    assert pages[1]["paging"] == {
        "page": 2,
        "page_size": 40,
        "order": "ASC",
        "order_by": "TIME_CREATED",
    }
    assert [p["current_page_size"] for p in pages] == [
        max(0, min(40, total - 40 * n)) for n in range(4)
    ]
    rows = [row for page in pages for row in page["transactions"]]
    assert len({row["id"] for row in rows}) == total
    assert all(row["time_created"].startswith("2026-11-20") for row in rows)


def test_without_a_start_date_the_range_starts_thirty_days_back(
    http: httpx.Client, clock: FakeClock
) -> None:
    def total() -> int:
        response = http.get("/ucp/transactions", headers=bearer(http))
        return response.json()["total_record_count"]

    clock.now += 31 * 86_400  # 2026-12-19: from 2026-11-19, every sandbox transaction
    assert total() == len(list_all(http, bearer(http), "/ucp/transactions"))
    clock.now += 4 * 86_400  # 2026-12-23: from 2026-11-23, none
    assert total() == 0


def test_an_empty_range_answers_zero_records(http: httpx.Client) -> None:
    response = http.get(
        "/ucp/transactions",
        params={"from_time_created": "2025-01-01", "to_time_created": "2025-01-31"},
        headers=bearer(http),
    )

    assert response.json()["total_record_count"] == 0
    assert response.json()["transactions"] == []


def test_batches_listing_serves_each_closed_batch_once(
    http: httpx.Client, landed: tuple[LandingZone, list[dict]]
) -> None:
    landed_batches = {
        envelope["payload"]["id"]: envelope["payload"]
        for envelope in landed_envelopes(landed[0], "settlement_batches")
    }

    served = list_all(http, bearer(http), "/ucp/batches")

    assert {row["id"]: row for row in served} == landed_batches
    assert len(served) == len(landed_batches) == 4
    assert all(row["status"] == "CLOSED" for row in served)


# -- faults and counting -------------------------------------------------------------------------


def test_throttle_and_fail_answer_in_order_then_the_api_recovers(
    http: httpx.Client, sim: HeartlandSimulator
) -> None:
    headers = bearer(http)
    sim.faults.throttle(times=2, retry_after=7, path="/ucp/transactions")
    sim.faults.fail(times=1, status=502, path="/ucp/transactions")

    statuses = [http.get("/ucp/transactions", headers=headers) for _ in range(4)]

    assert [r.status_code for r in statuses] == [429, 429, 502, 200]
    assert statuses[0].headers["Retry-After"] == "7"
    assert statuses[0].json()["error_code"] == "TOO_MANY_REQUESTS"
    assert sim.requests["/ucp/transactions"] == 4
    assert sim.requests["/ucp/accesstoken"] == 1
    assert sim.faults.pending == 0


def test_persistent_fault_lasts_until_cleared(http: httpx.Client, sim: HeartlandSimulator) -> None:
    headers = bearer(http)
    sim.faults.fail(times=None, status=503)

    assert {http.get("/ucp/batches", headers=headers).status_code for _ in range(3)} == {503}
    sim.faults.clear()
    assert http.get("/ucp/batches", headers=headers).status_code == 200


def test_refused_tokens_fault_spares_the_token_request(
    http: httpx.Client, sim: HeartlandSimulator
) -> None:
    sim.faults.reject_tokens()

    headers = bearer(http)

    assert http.get("/ucp/transactions", headers=headers).status_code == 401


def test_a_dropped_connection_looks_the_same_in_process_and_over_a_socket(
    sim: HeartlandSimulator, http: httpx.Client
) -> None:
    with serve(sim) as server, httpx.Client(base_url=server.url) as real:
        failures = []
        for client in (http, real):
            sim.faults.drop(times=1)
            with pytest.raises(httpx.TransportError) as raised:
                client.get("/ucp/transactions", headers=VERSION)
            failures.append((type(raised.value), str(raised.value)))

    assert (
        failures[0]
        == failures[1]
        == (
            httpx.RemoteProtocolError,
            "Server disconnected without sending a response.",
        )
    )
    assert [entry.status for entry in sim.log] == [None, None]


def test_loopback_server_serves_the_same_pages_as_in_process(
    sim: HeartlandSimulator, http: httpx.Client
) -> None:
    params = {**WHOLE_RANGE, "page": 2, "page_size": 25}
    with serve(sim) as server, httpx.Client(base_url=server.url) as real:
        assert server.base_url == server.url + "/ucp"
        over_socket = real.get("/ucp/transactions", params=params, headers=bearer(real))

    in_process = http.get("/ucp/transactions", params=params, headers=bearer(http))

    assert over_socket.status_code == 200
    assert over_socket.content == in_process.content


def test_reloading_picks_up_newly_landed_days(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    sim = HeartlandSimulator(zone)
    assert sim.load_landing(zone) == {"transactions": 0, "batches": 0}

    generate(zone, [SANDBOX_DAY], SandboxConfig(transactions_per_store_day=5, store_count=1))

    counts = sim.load_landing(zone)
    assert counts["batches"] == 1
    assert 3 <= counts["transactions"] <= 5
