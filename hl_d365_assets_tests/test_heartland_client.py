"""The Heartland client pulls every row of a range exactly once, keeps one token as long as it
lives, and survives throttling, server errors, dropped connections and timeouts with one bounded
retry policy, failing with errors that name the request.

Real components only: the simulator over two sandbox days (2 stores x 50 gateway transactions),
in process through its httpx transport and as a real loopback server, and a real Dagster run.
Backoff waits are recorded through the injectable ``sleep``, except where a test really waits.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import dagster as dg
import pytest

from hl_d365_assets.heartland.client import (
    HeartlandApi,
    HeartlandApiError,
    HeartlandAuthenticationError,
    HeartlandClient,
)
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import SANDBOX_DAY, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve

DAYS = [SANDBOX_DAY - timedelta(days=1), SANDBOX_DAY]
FIRST, LAST = date(2026, 11, 19), date(2026, 11, 21)  # UTC dates: evening sales fall on the next
TRANSACTIONS = "/ucp/transactions"
TOKEN = "/ucp/accesstoken"


class FakeClock:
    def __init__(self, now: float = 1_795_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> LandingZone:
    zone = LandingZone(tmp_path_factory.mktemp("heartland_client") / "landing")
    generate(zone, DAYS, SandboxConfig(transactions_per_store_day=50, store_count=2))
    return zone


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(zone: LandingZone, clock: FakeClock) -> HeartlandSimulator:
    return HeartlandSimulator(zone, clock=clock)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(base_url: str = "http://simulator/ucp", **overrides) -> HeartlandClient:
    settings = {
        "app_id": SANDBOX_APP_ID,
        "app_key": SANDBOX_APP_KEY,
        "page_size": 25,
        "max_attempts": 4,
        "backoff_base_seconds": 0.5,
        "backoff_max_seconds": 8.0,
        **overrides,
    }
    return HeartlandClient(base_url=base_url, **settings)


@pytest.fixture
def api(sim: HeartlandSimulator, sleeps: list[float], clock: FakeClock) -> Iterator[HeartlandApi]:
    with make_client().open(sim.transport(), sleep=sleeps.append, clock=clock) as session:
        yield session


def expected_states(zone: LandingZone, entity: str, first: date, last: date) -> dict[str, dict]:
    """The oracle, from the landed files: latest state per id, created on first..last (UTC)."""
    latest: dict[str, tuple[tuple[str, str], dict]] = {}
    first_action: dict[str, tuple[str, str]] = {}
    for day in zone.business_dates("heartland", entity):
        for segment in zone.segments("heartland", entity, day):
            for line in segment.read_text(encoding="utf-8").splitlines():
                try:
                    envelope = json.loads(line)
                except json.JSONDecodeError:
                    continue
                payload = envelope["payload"]
                state_time = payload.get("time_last_updated") or payload.get("time_closed")
                rank = (state_time, envelope["received_at"])
                if payload["id"] not in latest or rank > latest[payload["id"]][0]:
                    latest[payload["id"]] = (rank, payload)
                if entity != "payment_transactions":
                    continue
                if payload["id"] not in first_action or state_time < first_action[payload["id"]][0]:
                    first_action[payload["id"]] = (state_time, payload["action"]["id"])
    if entity == "payment_transactions":
        # Served as GP-API report rows: the creating action's id, no action object.
        latest = {
            resource_id: (
                rank,
                {key: value for key, value in payload.items() if key != "action"}
                | {"action_create_id": first_action[resource_id][1]},
            )
            for resource_id, (rank, payload) in latest.items()
        }
    return {
        resource_id: payload
        for resource_id, (_, payload) in latest.items()
        if first.isoformat() <= payload["time_created"][:10] <= last.isoformat()
    }


def pulled(pages: Iterator) -> list[dict]:
    return [row for page in pages for row in page.rows]


# -- paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [7, 25, 1000])
def test_paging_returns_every_transaction_of_the_range_exactly_once(
    zone: LandingZone, sim: HeartlandSimulator, page_size: int
) -> None:
    expected = expected_states(zone, "payment_transactions", FIRST, LAST)

    with make_client(page_size=page_size).open(sim.transport()) as api:
        rows = pulled(api.iter_transactions(FIRST, LAST))

    assert len(rows) == len(expected) > 150
    assert {row["id"]: row for row in rows} == expected
    assert [row["time_created"] for row in rows] == sorted(row["time_created"] for row in rows)
    assert sim.requests[TRANSACTIONS] == math.ceil(len(expected) / page_size)
    assert sim.requests[TOKEN] == 1


def test_single_days_partition_the_range(zone: LandingZone, api: HeartlandApi) -> None:
    days = [FIRST + timedelta(days=n) for n in range(3)]

    per_day = [pulled(api.iter_transactions(day, day)) for day in days]

    ids = [row["id"] for rows in per_day for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected_states(zone, "payment_transactions", FIRST, LAST))
    for day, rows in zip(days, per_day, strict=True):
        assert {row["time_created"][:10] for row in rows} <= {day.isoformat()}


def test_batches_are_pulled_like_transactions(zone: LandingZone, sim: HeartlandSimulator) -> None:
    with make_client(page_size=3).open(sim.transport()) as api:
        pages = list(api.iter_batches(FIRST, LAST))

    assert [len(page.rows) for page in pages] == [3, 1]
    assert {row["id"]: row for page in pages for row in page.rows} == expected_states(
        zone, "settlement_batches", FIRST, LAST
    )


def test_an_empty_range_yields_no_page(api: HeartlandApi, sim: HeartlandSimulator) -> None:
    assert list(api.iter_transactions(date(2025, 1, 1), date(2025, 1, 31))) == []
    assert sim.requests[TRANSACTIONS] == 1


def test_a_reversed_range_is_refused_before_any_call(
    api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    with pytest.raises(ValueError, match="after"):
        list(api.iter_transactions(LAST, FIRST))
    assert sim.requests == {}


# -- the access token ----------------------------------------------------------------------------


def test_token_is_requested_once_for_many_calls_and_again_before_it_expires(
    api: HeartlandApi, sim: HeartlandSimulator, clock: FakeClock
) -> None:
    for _ in range(3):
        pulled(api.iter_transactions(FIRST, LAST))
    assert sim.requests[TOKEN] == 1

    clock.now += 3600 - 59  # inside the renewal margin of the 3600 s token
    pulled(api.iter_batches(FIRST, LAST))

    assert sim.requests[TOKEN] == 2
    assert 401 not in {entry.status for entry in sim.log}


def test_a_token_revoked_mid_run_is_replaced_once_and_the_run_completes(
    zone: LandingZone, api: HeartlandApi, sim: HeartlandSimulator
) -> None:
    rows = []
    for page in api.iter_transactions(FIRST, LAST):
        rows.extend(page.rows)
        if page.number == 2:
            sim.expire_tokens()

    assert {row["id"] for row in rows} == set(
        expected_states(zone, "payment_transactions", FIRST, LAST)
    )
    assert sim.requests[TOKEN] == 2
    assert [entry.status for entry in sim.log].count(401) == 1


def test_a_token_refused_again_after_refresh_fails_clearly_without_looping(
    api: HeartlandApi, sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    sim.faults.reject_tokens()

    with pytest.raises(HeartlandAuthenticationError) as raised:
        list(api.iter_transactions(FIRST, LAST))

    assert sim.requests[TOKEN] == 2
    assert sim.requests[TRANSACTIONS] == 2
    assert sleeps == []
    message = str(raised.value)
    assert message.startswith(f"GET {TRANSACTIONS}?from_time_created=2026-11-19")
    assert "401 NOT_AUTHENTICATED (40001): Invalid access token" in message
    assert "fresh access token" in message


def test_bad_credentials_fail_clearly_and_are_not_retried(sim: HeartlandSimulator) -> None:
    client = make_client(app_key="wrong-key-0123")

    with client.open(sim.transport()) as api, pytest.raises(HeartlandAuthenticationError) as raised:
        list(api.iter_transactions(FIRST, LAST))

    message = str(raised.value)
    assert f"POST {TOKEN} for app_id '{SANDBOX_APP_ID}' refused" in message
    assert "403 ACTION_NOT_AUTHORIZED (40004)" in message
    assert "HEARTLAND_APP_KEY" in message
    assert "wrong-key-0123" not in message
    assert raised.value.error_code == "ACTION_NOT_AUTHORIZED"
    assert sim.requests == {TOKEN: 1}


# -- retries -------------------------------------------------------------------------------------


def test_throttling_is_honoured_for_retry_after_then_the_pull_succeeds(
    zone: LandingZone, api: HeartlandApi, sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    sim.faults.throttle(times=2, retry_after=3, path=TRANSACTIONS)

    rows = pulled(api.iter_transactions(FIRST, LAST))

    assert len(rows) == len(expected_states(zone, "payment_transactions", FIRST, LAST))
    assert len(sleeps) == 2
    assert all(delay >= 3 for delay in sleeps)
    assert sim.requests[TRANSACTIONS] == math.ceil(len(rows) / 25) + 2


def test_retry_after_as_an_http_date_is_honoured(
    api: HeartlandApi, sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=6), usegmt=True)
    sim.faults.throttle(times=1, retry_after=later, path=TRANSACTIONS)

    pulled(api.iter_batches(FIRST, LAST))  # batches: the fault is on transactions only
    assert sleeps == []
    pulled(api.iter_transactions(FIRST, FIRST))

    assert len(sleeps) == 1
    assert 4 <= sleeps[0] <= 6


def test_server_errors_and_dropped_connections_are_retried_then_succeed(
    zone: LandingZone, api: HeartlandApi, sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    sim.faults.fail(times=1, status=503, path=TRANSACTIONS)
    sim.faults.drop(times=1, path=TRANSACTIONS)
    sim.faults.fail(times=1, status=500, path=TRANSACTIONS)

    rows = pulled(api.iter_transactions(FIRST, LAST))

    assert {row["id"] for row in rows} == set(
        expected_states(zone, "payment_transactions", FIRST, LAST)
    )
    statuses = [entry.status for entry in sim.log if entry.path == TRANSACTIONS]
    assert statuses[:4] == [503, None, 500, 200]
    # full jitter, capped: the wait before attempt n+1 lies in [0, min(8, 0.5 * 2**(n-1))]
    assert len(sleeps) == 3
    assert all(0 <= delay <= bound for delay, bound in zip(sleeps, [0.5, 1, 2], strict=True))


def test_persistent_unavailability_fails_after_max_attempts_naming_the_request(
    api: HeartlandApi, sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    sim.faults.fail(times=None, status=503, path=TRANSACTIONS)

    with pytest.raises(HeartlandApiError) as raised:
        list(api.iter_transactions(FIRST, LAST))

    assert str(raised.value) == (
        f"GET {TRANSACTIONS}?from_time_created=2026-11-19&to_time_created=2026-11-21"
        "&page=1&page_size=25&order_by=TIME_CREATED&order=ASC failed after 4 attempts; "
        "last failure: HTTP 503 SYSTEM_ERROR (50300): fault: fail scripted"
    )
    assert raised.value.status == 503
    assert sim.requests[TRANSACTIONS] == 4
    assert len(sleeps) == 3


def test_a_bad_parameter_is_not_retried_and_names_gp_error(sim: HeartlandSimulator) -> None:
    client = make_client(page_size=5000)
    with client.open(sim.transport()) as api, pytest.raises(HeartlandApiError) as raised:
        list(api.iter_transactions(FIRST, LAST))

    message = str(raised.value)
    assert message.startswith(f"GET {TRANSACTIONS}?from_time_created=2026-11-19")
    assert "page_size=5000" in message
    assert "HTTP 400 INVALID_REQUEST_DATA (40213): page_size contains unexpected data" in message
    assert "not retried" in message
    assert raised.value.description == "page_size contains unexpected data"
    assert sim.requests[TRANSACTIONS] == 1


def test_retries_are_logged_with_the_request_but_never_key_secret_or_token(
    api: HeartlandApi, sim: HeartlandSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    sim.faults.drop(times=1)  # hits the token request
    sim.faults.throttle(times=1, retry_after=1, path=TRANSACTIONS)

    with caplog.at_level(logging.WARNING, logger="hl_d365_assets"):
        pulled(api.iter_transactions(FIRST, FIRST))
        sim.expire_tokens()
        pulled(api.iter_transactions(FIRST, FIRST))

    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 3
    assert warnings[0].startswith(f"POST {TOKEN} failed (RemoteProtocolError")
    assert warnings[1].startswith(f"GET {TRANSACTIONS}?from_time_created=2026-11-19")
    assert "429 TOO_MANY_REQUESTS" in warnings[1]
    assert "requesting a new access token once" in warnings[2]
    text = "\n".join(warnings)
    assert SANDBOX_APP_KEY not in text
    assert api._auth.token is not None and api._auth.token not in text
    assert "Bearer" not in text
    assert not re.search(r"[0-9a-f]{128}", text)  # the SHA-512 secret


# -- against the real loopback server ------------------------------------------------------------


def test_retry_after_is_really_waited_against_the_loopback_server(
    zone: LandingZone, sim: HeartlandSimulator
) -> None:
    sim.faults.throttle(times=1, retry_after=1, path=TRANSACTIONS)

    with serve(sim) as server, make_client(server.base_url).open() as api:
        started = time.monotonic()
        rows = pulled(api.iter_transactions(FIRST, FIRST))
        waited = time.monotonic() - started

    assert {row["id"] for row in rows} == set(
        expected_states(zone, "payment_transactions", FIRST, FIRST)
    )
    assert 1.0 <= waited < 5


def test_dropped_connections_and_a_slow_answer_are_retried_over_real_sockets(
    zone: LandingZone, sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    sim.faults.drop(times=1, path=TRANSACTIONS)
    sim.faults.slow(seconds=2, times=1, path=TRANSACTIONS)

    with serve(sim) as server:
        client = make_client(server.base_url, timeout_seconds=0.5)
        with client.open(sleep=sleeps.append) as api:
            rows = pulled(api.iter_transactions(FIRST, LAST))

    assert len(rows) == len(expected_states(zone, "payment_transactions", FIRST, LAST))
    assert len(sleeps) == 2


def test_a_response_slower_than_the_timeout_is_retried_then_fails_clearly(
    sim: HeartlandSimulator, sleeps: list[float]
) -> None:
    sim.faults.slow(seconds=3, times=None, path=TRANSACTIONS)

    started = time.monotonic()
    with serve(sim) as server:
        client = make_client(server.base_url, timeout_seconds=0.3, max_attempts=2)
        with client.open(sleep=sleeps.append) as api, pytest.raises(HeartlandApiError) as raised:
            list(api.iter_transactions(FIRST, LAST))
    elapsed = time.monotonic() - started

    message = str(raised.value)
    assert message.startswith(f"GET {TRANSACTIONS}?from_time_created=2026-11-19")
    assert "failed after 2 attempts; last failure: ReadTimeout" in message
    assert sim.requests[TRANSACTIONS] == 2
    assert elapsed < 2.5


def test_the_resource_reads_credentials_from_env_vars_in_a_dagster_run(
    zone: LandingZone,
    sim: HeartlandSimulator,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEARTLAND_APP_ID", SANDBOX_APP_ID)
    monkeypatch.setenv("HEARTLAND_APP_KEY", SANDBOX_APP_KEY)

    @dg.asset
    def pulled_transaction_count(heartland: HeartlandClient) -> int:
        with heartland.open() as api:
            return sum(len(page.rows) for page in api.iter_transactions(FIRST, LAST))

    with serve(sim) as server:
        resource = HeartlandClient(
            base_url=server.base_url,
            app_id=dg.EnvVar("HEARTLAND_APP_ID"),
            app_key=dg.EnvVar("HEARTLAND_APP_KEY"),
        )
        result = dg.materialize(
            [pulled_transaction_count], resources={"heartland": resource}, instance=instance
        )

    assert result.success
    assert result.output_for_node("pulled_transaction_count") == len(
        expected_states(zone, "payment_transactions", FIRST, LAST)
    )
    assert sim.requests[TOKEN] == 1
