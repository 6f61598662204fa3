"""The one retry policy for every outbound HTTP request (Heartland, D365, Entra ID, alert webhooks).

Transient failures are retried with capped exponential backoff and full jitter (DESIGN.md,
"Retries and dead letters"), waiting at least what ``Retry-After`` asks (up to the cap), so a
fleet of clients does not retry in lockstep against a struggling service.

What may be repeated depends on whether the server may already have acted:

- a connection that never opened (connect error or timeout, no pooled connection free): the
  request never left, so any request is tried again;
- 429 and 503: the server says it did not do the work, so any request is tried again;
- a read/write timeout, a dropped connection, 500/502/504: the server may have acted. An
  idempotent request (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) is tried again; any other request
  (a POST creating a record) has an *unknown outcome* and is handed back as such, never repeated
  blindly — its caller looks before it writes again.

A caller overrides the method rule for one request with ``request.extensions["retryable"]``:
``True`` for a request that is safe to repeat whatever its method (an OAuth token request, an
alert that carries its own id), ``False`` for one that must never be repeated.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE = "retryable"
"""``request.extensions`` key: ``True``/``False`` overrides whether the request may be repeated."""
RENEW = "renew"
"""``request.extensions`` key: a callable giving the request to send on the next attempt, for a
body that must differ per attempt (GP's token request carries a fresh nonce each time)."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_DONE_STATUSES = frozenset({429, 503})
"""Answers that say the server did not do the work: safe to repeat for any method; the ones
whose ``Retry-After`` is honoured."""
NO_ANSWER_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Transport failures that may pass: no answer came back."""
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures that prove the request never reached the server."""


class Verdict(enum.Enum):
    FINAL = "final"
    """Hand the answer (or the error) back as it is: success, or a failure retrying cannot mend."""
    RETRY = "retry"
    EXHAUSTED = "exhausted"
    """A transient failure, but the attempts are used up."""
    OUTCOME_UNKNOWN = "outcome unknown"
    """A request that may not be repeated may have been acted on."""


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    delay: float = 0.0
    """Seconds to wait before the next attempt (``RETRY`` only)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and backoff; ``sleep``, ``rng`` and ``now`` are injectable so tests can record
    the waits, fix the jitter and date a ``Retry-After``."""

    max_attempts: int = 5
    """Tries per request, the first included."""
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    """Cap of one wait, ``Retry-After`` included."""
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    now: Callable[[], datetime] = _utc_now
    """Wall clock (aware), against which a ``Retry-After`` HTTP-date is read."""

    def repeatable(self, request: httpx.Request) -> bool:
        """Whether ``request`` may be sent again after the server may have acted on it."""
        marked = request.extensions.get(RETRYABLE)
        if marked is not None:
            return bool(marked)
        return request.method.upper() in IDEMPOTENT_METHODS

    def after_error(
        self, request: httpx.Request, error: httpx.TransportError, attempt: int
    ) -> Decision:
        """What to do after attempt ``attempt`` of ``request`` raised ``error``."""
        if not isinstance(error, NO_ANSWER_ERRORS):
            return Decision(Verdict.FINAL)  # a bad URL, a proxy refusal: no retry mends it
        if not isinstance(error, NOT_SENT_ERRORS) and not self.repeatable(request):
            return Decision(Verdict.OUTCOME_UNKNOWN)
        return self._again(attempt, None)

    def after_response(
        self, request: httpx.Request, response: httpx.Response, attempt: int, *, permanent: bool
    ) -> Decision:
        """What to do after attempt ``attempt`` of ``request`` was answered ``response``.
        ``permanent``: the service's own error body says retrying cannot help (D365's
        ``AxODataWriteException`` comes with 400 and 500 alike)."""
        status = response.status_code
        if permanent or (status < 500 and status not in NOT_DONE_STATUSES):
            return Decision(Verdict.FINAL)
        if status not in NOT_DONE_STATUSES and not self.repeatable(request):
            return Decision(Verdict.OUTCOME_UNKNOWN)
        if status not in RETRYABLE_STATUSES:
            return Decision(Verdict.FINAL)  # 501, 505, ...: not transient
        retry_after = (
            self.retry_after_seconds(response.headers.get("Retry-After"))
            if status in NOT_DONE_STATUSES
            else None
        )
        return self._again(attempt, retry_after)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``: full jitter below the exponential cap,
        but never less than the server's ``Retry-After`` (itself capped)."""
        cap = self.backoff_max_seconds
        jittered = self.rng.uniform(0, min(cap, self.backoff_base_seconds * 2 ** (attempt - 1)))
        if retry_after is None:
            return jittered
        return max(jittered, min(retry_after, cap))

    def retry_after_seconds(self, value: str | None) -> float | None:
        """``Retry-After`` as seconds: delta-seconds or an HTTP-date (RFC 9110, 10.2.3)."""
        if not value:
            return None
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - self.now()).total_seconds())

    def _again(self, attempt: int, retry_after: float | None) -> Decision:
        if attempt >= self.max_attempts:
            return Decision(Verdict.EXHAUSTED)
        return Decision(Verdict.RETRY, self.delay(attempt, retry_after))
