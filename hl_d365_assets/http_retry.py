"""The one retry policy for every outbound HTTP call (Heartland API, alert webhooks, later D365).

Transient failures — connection errors, timeouts, 5xx, 429 — are retried with exponential
backoff and full jitter (DESIGN.md, "Retries and dead letters"), honouring ``Retry-After`` up to
the cap, so a fleet of clients does not retry in lockstep against a struggling service.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})


def backoff_delay(
    attempt: int,
    base_seconds: float,
    max_seconds: float,
    retry_after: float | None,
    rng: random.Random,
) -> float:
    """Seconds to wait before attempt ``attempt + 1``: full jitter below the exponential cap,
    but never less than the server's ``Retry-After`` (itself capped at ``max_seconds``)."""
    jittered = rng.uniform(0, min(max_seconds, base_seconds * 2 ** (attempt - 1)))
    if retry_after is None:
        return jittered
    return max(jittered, min(retry_after, max_seconds))


def retry_after_seconds(value: str | None) -> float | None:
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
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
