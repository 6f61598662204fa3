"""The HTTP seam every client sends through: :class:`RetryingTransport` wraps the real transport
(a connection pool in production, a simulator in the sandbox) and repeats what
:class:`~hl_d365_assets.http.retry_policy.RetryPolicy` says to repeat.

It is the one place a request is retried and the one place retries are logged. What it hands
back says how it went, so clients only map the final answer to their own exceptions:

- an answer (any status) carries a :class:`RetryRecord` in ``response.extensions["retry"]``:
  the attempts, whether the transient failures outlasted them, whether a request that may not be
  repeated got a server error after which its outcome is unknown;
- no answer raises :class:`NoAnswer` after the attempts (its subclass :class:`OutcomeUnknown`
  when the request may have been acted on and may not be repeated); transport errors that no
  retry mends (a bad URL) pass through unchanged.

Requests are named in logs by method and path (with query), as :func:`request_name` gives, or by
the ``name`` a client passes when its path holds a secret (an alert webhook). Headers and bodies
are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from hl_d365_assets.http.retry_policy import RENEW, RETRYABLE_STATUSES, RetryPolicy, Verdict

logger = logging.getLogger(__name__)

RECORD = "retry"
"""``response.extensions`` key of the :class:`RetryRecord`."""


@dataclass(frozen=True)
class RetryRecord:
    attempts: int = 1
    exhausted: bool = False
    """The answer is a transient failure (429, 5xx) that outlasted the attempts."""
    outcome_unknown: bool = False
    """A request that may not be repeated got a server error: it may have been applied."""


class NoAnswer(httpx.TransportError):
    """No HTTP answer came back, after every attempt the policy allows."""

    def __init__(self, message: str, *, request: httpx.Request, attempts: int, failure: str):
        super().__init__(message, request=request)
        self.attempts = attempts
        self.failure = failure
        """The last transport failure, e.g. ``ReadTimeout: timed out``."""


class OutcomeUnknown(NoAnswer):
    """A request that may not be repeated got no answer after it may have reached the server."""


def retry_record(response: httpx.Response) -> RetryRecord:
    """How ``response`` was obtained (one attempt when it did not pass a retrying transport)."""
    return response.extensions.get(RECORD) or RetryRecord()


def request_name(request: httpx.Request) -> str:
    """``GET /ucp/transactions?page=2``: method and path with query, as errors and logs name a
    request."""
    return f"{request.method} {unquote(request.url.raw_path.decode('ascii'))}"


def status_text(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}"


class RetryingTransport(httpx.BaseTransport):
    """``inner`` (default: a new ``httpx.HTTPTransport``) with the retry policy around it.

    ``describe`` words a failed answer for the log (a client passes the reading of its service's
    error body); ``permanent`` says from the body that an error status is final whatever it is;
    ``name`` names the request in the log (default :func:`request_name`).
    """

    def __init__(
        self,
        policy: RetryPolicy,
        inner: httpx.BaseTransport | None = None,
        *,
        name: Callable[[httpx.Request], str] = request_name,
        describe: Callable[[httpx.Response], str] = status_text,
        permanent: Callable[[httpx.Response], bool] = lambda response: False,
    ) -> None:
        self.policy = policy
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._name = name
        self._describe = describe
        self._permanent = permanent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._inner.handle_request(request)
                if _may_retry(response):
                    response.read()  # a small error body, which describe and permanent read
            except httpx.TransportError as error:
                decision = self.policy.after_error(request, error, attempt)
                if decision.verdict is Verdict.FINAL:
                    raise
                failure = f"{type(error).__name__}: {error or 'no detail'}"
                if decision.verdict is Verdict.OUTCOME_UNKNOWN:
                    raise OutcomeUnknown(
                        f"{self._name(request)} got no answer ({failure}) and may not be repeated",
                        request=request,
                        attempts=attempt,
                        failure=failure,
                    ) from error
                if decision.verdict is Verdict.EXHAUSTED:
                    raise NoAnswer(
                        f"{self._name(request)} failed after {attempt} attempt"
                        f"{'s' * (attempt > 1)}; last failure: {failure}",
                        request=request,
                        attempts=attempt,
                        failure=failure,
                    ) from error
            else:
                permanent = _may_retry(response) and self._permanent(response)
                decision = self.policy.after_response(
                    request, response, attempt, permanent=permanent
                )
                if decision.verdict is not Verdict.RETRY:
                    response.extensions[RECORD] = RetryRecord(
                        attempts=attempt,
                        exhausted=decision.verdict is Verdict.EXHAUSTED,
                        outcome_unknown=decision.verdict is Verdict.OUTCOME_UNKNOWN,
                    )
                    return response
                failure = self._describe(response)
                response.close()
            logger.warning(
                "%s failed (%s); attempt %d of %d, retrying in %.2fs",
                self._name(request),
                failure,
                attempt,
                self.policy.max_attempts,
                decision.delay,
            )
            self.policy.sleep(decision.delay)
            renew = request.extensions.get(RENEW)
            if renew is not None:
                request = renew()

    def close(self) -> None:
        self._inner.close()


def _may_retry(response: httpx.Response) -> bool:
    return response.status_code in RETRYABLE_STATUSES or response.status_code >= 500
