"""The one retry policy, pinned at the seam every client sends through: idempotent requests are
retried after throttling (honouring ``Retry-After``), server errors, dropped connections and
timeouts; a write that may have been applied is handed back as an unknown outcome, never sent
twice; attempts are capped; waits are full jitter below the exponential cap.

Real components: a loopback HTTP server (the sandbox's, which can hang up mid-request) answering
from a script, a real ``httpx.Client`` over a real connection pool. Backoff waits are recorded
through the injectable ``sleep``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from hl_d365_assets.http import (
    RENEW,
    RETRYABLE,
    NoAnswer,
    OutcomeUnknown,
    RetryingTransport,
    RetryPolicy,
    retry_record,
)
from hl_d365_assets.sandbox.loopback import ConnectionDropped, LoopbackServer

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


class ScriptedServer:
    """Answers each request with the next scripted step for its path, then 200 ``ok``.

    A step is a status (with optional headers), ``"drop"`` (hang up without an answer) or
    ``("slow", seconds)`` (answer 200 late). Requests are counted by method and path."""

    def __init__(self) -> None:
        self.steps: dict[str, list] = {}
        self.received: Counter[str] = Counter()
        self.bodies: list[bytes] = []
        self._release = threading.Event()
        self._server = LoopbackServer(self, "retry-test", on_stop=self._release.set)
        self.url = self._server.url

    def script(self, path: str, *steps) -> None:
        self.steps.setdefault(path, []).extend(steps)

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        path = environ["PATH_INFO"]
        self.received[f"{environ['REQUEST_METHOD']} {path}"] += 1
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length) if length else b"")
        pending = self.steps.get(path) or []
        step = pending.pop(0) if pending else 200
        if step == "drop":
            raise ConnectionDropped(path)
        if isinstance(step, tuple) and step[0] == "slow":
            self._release.wait(step[1])
            step = 200
        status, headers = step if isinstance(step, tuple) else (step, {})
        body = b"ok" if status == 200 else f'{{"error": "scripted {status}"}}'.encode()
        start_response(
            f"{status} Scripted",
            [("Content-Length", str(len(body))), *headers.items()],
        )
        return [body]

    def close(self) -> None:
        self._server.stop()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    running = ScriptedServer()
    yield running
    running.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def policy(sleeps: list[float], **overrides) -> RetryPolicy:
    settings = {
        "max_attempts": 4,
        "backoff_base_seconds": 0.5,
        "backoff_max_seconds": 8.0,
        "sleep": sleeps.append,
        "rng": random.Random(7),
        "now": lambda: NOW,
        **overrides,
    }
    return RetryPolicy(**settings)


def client(server: ScriptedServer, sleeps: list[float], timeout: float = 5.0, **overrides):
    transport = RetryingTransport(policy(sleeps, **overrides))
    return httpx.Client(base_url=server.url, transport=transport, timeout=timeout)


# -- idempotent requests are retried -------------------------------------------------------------


def test_throttling_is_waited_out_for_retry_after_seconds(server, sleeps) -> None:
    server.script("/orders", (429, {"Retry-After": "3"}), (429, {"Retry-After": "3"}))

    with client(server, sleeps) as http:
        response = http.get("/orders")

    assert response.status_code == 200 and response.text == "ok"
    assert retry_record(response).attempts == 3
    assert len(sleeps) == 2 and all(3 <= wait <= 8 for wait in sleeps)
    assert server.received["GET /orders"] == 3


def test_retry_after_as_an_http_date_is_read_against_the_clock(server, sleeps) -> None:
    later = format_datetime(NOW + timedelta(seconds=6), usegmt=True)
    server.script("/orders", (503, {"Retry-After": later}))

    with client(server, sleeps) as http:
        assert http.get("/orders").status_code == 200

    assert sleeps == [6.0]


def test_retry_after_beyond_the_cap_waits_the_cap(server, sleeps) -> None:
    server.script("/orders", (429, {"Retry-After": "3600"}))

    with client(server, sleeps) as http:
        assert http.get("/orders").status_code == 200

    assert sleeps == [8.0]


def test_server_errors_and_a_dropped_connection_on_a_get_are_retried(server, sleeps) -> None:
    server.script("/orders", 503, "drop", 500, 502, 504)

    with client(server, sleeps, max_attempts=6) as http:
        response = http.get("/orders")

    assert response.status_code == 200 and retry_record(response).attempts == 6
    assert server.received["GET /orders"] == 6
    assert len(sleeps) == 5


def test_a_get_slower_than_the_timeout_is_retried(server, sleeps) -> None:
    server.script("/orders", ("slow", 2))

    with client(server, sleeps, timeout=0.3) as http:
        assert http.get("/orders").status_code == 200

    assert server.received["GET /orders"] == 2 and len(sleeps) == 1


def test_client_errors_are_not_retried(server, sleeps) -> None:
    server.script("/orders", 400, 404)

    with client(server, sleeps) as http:
        response = http.get("/orders")

    assert response.status_code == 400 and retry_record(response).attempts == 1
    assert sleeps == [] and server.received["GET /orders"] == 1


# -- writes whose outcome is unknown are not repeated --------------------------------------------


def test_a_post_whose_connection_dropped_is_an_unknown_outcome_not_a_retry(server, sleeps) -> None:
    server.script("/journals", "drop")

    with client(server, sleeps) as http, pytest.raises(OutcomeUnknown) as unknown:
        http.post("/journals", json={"amount": "12.34"})

    assert unknown.value.attempts == 1
    assert unknown.value.failure.startswith("RemoteProtocolError")
    assert server.received["POST /journals"] == 1 and sleeps == []


def test_a_post_answered_late_is_an_unknown_outcome(server, sleeps) -> None:
    server.script("/journals", ("slow", 2))

    with client(server, sleeps, timeout=0.3) as http, pytest.raises(OutcomeUnknown) as unknown:
        http.post("/journals", json={})

    assert unknown.value.failure.startswith("ReadTimeout")
    assert server.received["POST /journals"] == 1 and sleeps == []


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_post_answered_by_a_server_error_is_handed_back_as_an_unknown_outcome(
    server, sleeps, status: int
) -> None:
    server.script("/journals", status)

    with client(server, sleeps) as http:
        response = http.post("/journals", json={})

    assert response.status_code == status
    record = retry_record(response)
    assert record.outcome_unknown and not record.exhausted and record.attempts == 1
    assert server.received["POST /journals"] == 1 and sleeps == []


def test_a_post_refused_by_throttling_or_503_is_retried(server, sleeps) -> None:
    server.script("/journals", (429, {"Retry-After": "1"}), 503)

    with client(server, sleeps) as http:
        response = http.post("/journals", json={})

    assert response.status_code == 200 and not retry_record(response).outcome_unknown
    assert server.received["POST /journals"] == 3 and len(sleeps) == 2


def test_a_post_marked_retryable_is_retried_after_a_drop(server, sleeps) -> None:
    server.script("/accesstoken", "drop", 500)

    with client(server, sleeps) as http:
        response = http.post("/accesstoken", json={}, extensions={RETRYABLE: True})

    assert response.status_code == 200 and server.received["POST /accesstoken"] == 3


def test_a_get_marked_not_retryable_is_not_repeated(server, sleeps) -> None:
    server.script("/orders", 500)

    with client(server, sleeps) as http:
        response = http.get("/orders", extensions={RETRYABLE: False})

    assert retry_record(response).outcome_unknown and server.received["GET /orders"] == 1


def test_an_error_the_service_calls_permanent_is_not_retried(server, sleeps) -> None:
    server.script("/orders", 500)
    transport = RetryingTransport(
        policy(sleeps), permanent=lambda response: b"scripted" in response.content
    )

    with httpx.Client(base_url=server.url, transport=transport) as http:
        response = http.get("/orders")

    assert response.status_code == 500 and not retry_record(response).exhausted
    assert server.received["GET /orders"] == 1 and sleeps == []


def test_a_renewed_request_is_sent_on_the_next_attempt(server, sleeps) -> None:
    server.script("/accesstoken", 503, 503)
    nonces = iter(range(100))

    def token_request() -> httpx.Request:
        return http.build_request(
            "POST",
            "/accesstoken",
            json={"nonce": next(nonces)},
            extensions={RETRYABLE: True, RENEW: token_request},
        )

    with client(server, sleeps) as http:
        assert http.send(token_request()).status_code == 200

    assert server.bodies == [b'{"nonce":0}', b'{"nonce":1}', b'{"nonce":2}']


# -- attempts and jitter -------------------------------------------------------------------------


def test_attempts_are_capped_and_the_last_answer_says_it_was_exhausted(server, sleeps) -> None:
    server.script("/orders", *[503] * 10)

    with client(server, sleeps, max_attempts=3) as http:
        response = http.get("/orders")

    record = retry_record(response)
    assert response.status_code == 503 and record.exhausted and record.attempts == 3
    assert server.received["GET /orders"] == 3 and len(sleeps) == 2


def test_an_unreachable_server_is_no_answer_after_the_attempts_even_for_a_post(sleeps) -> None:
    with LoopbackServer(lambda environ, start: [], "closed") as closed:
        dead = closed.url
    transport = RetryingTransport(policy(sleeps, max_attempts=3))

    with httpx.Client(transport=transport) as http, pytest.raises(NoAnswer) as raised:
        http.post(dead + "/journals", json={})  # never sent: safe to repeat

    assert not isinstance(raised.value, OutcomeUnknown)
    assert raised.value.attempts == 3 and raised.value.failure.startswith("ConnectError")
    assert len(sleeps) == 2


def test_a_failure_no_retry_mends_passes_through_at_once(sleeps) -> None:
    with (
        httpx.Client(transport=RetryingTransport(policy(sleeps))) as http,
        pytest.raises(httpx.UnsupportedProtocol),
    ):
        http.get("ftp://example.invalid/file")
    assert sleeps == []


def test_waits_are_full_jitter_below_the_exponential_cap() -> None:
    rules = RetryPolicy(backoff_base_seconds=0.5, backoff_max_seconds=8.0, rng=random.Random(1))
    for attempt, bound in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        waits = [rules.delay(attempt, None) for _ in range(400)]
        assert all(0 <= wait <= bound for wait in waits)
        assert min(waits) < bound * 0.05 and max(waits) > bound * 0.95  # the whole range
    assert all(rules.delay(1, 3.0) >= 3.0 for _ in range(50))  # never less than Retry-After


# -- logging -------------------------------------------------------------------------------------


def test_retries_are_logged_naming_the_request_but_not_its_headers(
    server, sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("/orders", 503)

    with client(server, sleeps) as http, caplog.at_level(logging.WARNING, "hl_d365_assets"):
        http.get("/orders", params={"page": 2}, headers={"Authorization": "Bearer s3cr3t-token"})

    [warning] = [record.getMessage() for record in caplog.records]
    assert warning.startswith("GET /orders?page=2 failed (HTTP 503); attempt 1 of 4, retrying")
    assert "s3cr3t-token" not in warning
