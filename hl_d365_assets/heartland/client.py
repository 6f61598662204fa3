"""The GP-API REST client: access token, paged listings, one retry policy.

:class:`HeartlandClient` is the Dagster resource (its fields are the configuration, the app id
and key coming from ``dg.EnvVar("HEARTLAND_APP_ID")`` / ``dg.EnvVar("HEARTLAND_APP_KEY")``).
``client.open()`` gives a :class:`HeartlandApi` session owning one ``httpx.Client`` and the
token. The sandbox plugs in at the transport seam (``open(sim.transport())``) or by pointing
``base_url`` at the loopback simulator, so the production code path is the tested one.

GP-API facts this relies on (shared/reference/gp-api.md): the token is ``POST /accesstoken``
with ``secret = sha512(nonce + app_key)`` in lowercase hex; every call carries
``X-GP-Version: 2021-03-22``; lists take ``from_time_created`` / ``to_time_created`` as dates,
``page`` / ``page_size`` / ``order_by`` / ``order``, and answer ``total_record_count`` with the
rows under the resource's name; errors carry ``error_code``, ``detailed_error_code`` and
``detailed_error_description``. Like GP's PHP SDK, a ``401 NOT_AUTHENTICATED`` triggers one new
token and one repeat of the request, never a loop.

Retries: connection failures (connect/read errors, dropped connections, timeouts), 5xx and 429
are retried with capped exponential backoff and full jitter, waiting at least what
``Retry-After`` asks (up to the cap); other 4xx are not retried. A failure raises
:class:`HeartlandApiError` naming the request (method, path and query), the attempts and the
last failure. The app key, the secret and the token are never logged nor put in an error.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import httpx
from pydantic import Field

from hl_d365_assets.http_retry import (
    RETRY_AFTER_STATUSES,
    RETRYABLE_STATUSES,
    RETRYABLE_TRANSPORT_ERRORS,
    backoff_delay,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

GP_API_VERSION = "2021-03-22"
SANDBOX_BASE_URL = "https://apis.sandbox.globalpay.com/ucp"
PRODUCTION_BASE_URL = "https://apis.globalpay.com/ucp"
TOKEN_EXPIRY_MARGIN_SECONDS = 60.0
"""A token is renewed this long before GP says it expires (at most a tenth of its life), so a
request never leaves with a token that dies on the way."""


Sleep = Callable[[float], None]
Clock = Callable[[], float]


class HeartlandApiError(RuntimeError):
    """A GP-API request failed for good; the message names the request and the last failure."""

    def __init__(
        self,
        message: str,
        *,
        request: str,
        attempts: int,
        status: int | None = None,
        error_code: str | None = None,
        detailed_error_code: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.attempts = attempts
        self.status = status
        self.error_code = error_code
        self.detailed_error_code = detailed_error_code
        self.description = description


class HeartlandAuthenticationError(HeartlandApiError):
    """GP refused the credentials, or refused a fresh token too."""


@dataclass(frozen=True)
class Page:
    """One page of a listing, rows as GP sent them."""

    resource: str
    """``transactions`` or ``batches`` (the array key of the response)."""
    number: int
    page_size: int
    total_record_count: int | None
    rows: list[dict]


class HeartlandClient(dg.ConfigurableResource):
    """GP-API (Heartland / Global Payments) over HTTPS; ``open()`` starts a session."""

    base_url: str = Field(
        default=SANDBOX_BASE_URL,
        description="GP-API base including /ucp; the sandbox gives the simulator's URL.",
    )
    app_id: str = Field(description='From dg.EnvVar("HEARTLAND_APP_ID").')
    app_key: str = Field(
        repr=False, description='From dg.EnvVar("HEARTLAND_APP_KEY"); never logged.'
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Per request (connect, read).")
    max_attempts: int = Field(default=5, ge=1, description="Tries per request, the first included.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(
        default=30.0, ge=0, description="Cap of one wait, Retry-After included."
    )
    page_size: int = Field(default=1000, ge=1, description="Rows per listing page.")
    seconds_to_expire: int = Field(
        default=3600, ge=60, le=604_800, description="Token life asked of GP (GP caps a week)."
    )

    def open(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> HeartlandApi:
        """A session (use it as a context manager). ``transport`` replaces the network (tests);
        ``sleep`` and ``clock`` are injectable so tests can record backoff and age tokens."""
        return HeartlandApi(self, transport=transport, sleep=sleep, clock=clock)


class HeartlandApi:
    """One session: an ``httpx.Client``, the current token and the retry policy.

    Meant for one thread (one asset step); open one per thread rather than sharing it.
    """

    def __init__(
        self,
        config: HeartlandClient,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._app_id = _resolved(config.app_id)
        self._app_key = _resolved(config.app_key)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._token: str | None = None
        self._token_renew_at = 0.0
        self.token_requests = 0
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            transport=transport,
            timeout=httpx.Timeout(config.timeout_seconds),
            headers={"X-GP-Version": GP_API_VERSION, "Accept": "application/json"},
        )

    def __enter__(self) -> HeartlandApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- listings -----------------------------------------------------------------------------

    def iter_transactions(self, from_date: date, to_date: date) -> Iterator[Page]:
        """Transactions whose ``time_created`` falls on ``from_date``..``to_date`` (UTC dates,
        inclusive), oldest first, page by page."""
        return self.iter_pages("transactions", from_date, to_date)

    def iter_batches(self, from_date: date, to_date: date) -> Iterator[Page]:
        """Closed batches created on ``from_date``..``to_date`` (UTC dates), page by page.

        ``GET /batches`` is served by our simulator; no GP SDK shows a batch list request
        (see heartland/simulator.py), so against real GP this call is to be confirmed.
        """
        return self.iter_pages("batches", from_date, to_date)

    def iter_pages(self, resource: str, from_date: date, to_date: date) -> Iterator[Page]:
        """Follow ``page`` until ``total_record_count`` rows came, or a page is short or empty."""
        if from_date > to_date:
            raise ValueError(f"from_date {from_date} is after to_date {to_date}")
        received = 0
        number = 1
        while True:
            page = self.fetch_page(resource, from_date, to_date, number)
            if page.rows:
                yield page
            received += len(page.rows)
            complete = page.total_record_count is not None and received >= page.total_record_count
            if complete or len(page.rows) < page.page_size:
                return
            number += 1

    def fetch_page(self, resource: str, from_date: date, to_date: date, number: int) -> Page:
        page_size = self._config.page_size
        params = {
            "from_time_created": from_date.isoformat(),
            "to_time_created": to_date.isoformat(),
            "page": number,
            "page_size": page_size,
            "order_by": "TIME_CREATED",
            "order": "ASC",
        }
        response, name, attempts = self._send("GET", resource, params=params)
        body = _json_object(response, name, attempts)
        rows = body.get(resource)
        if not isinstance(rows, list):
            raise HeartlandApiError(
                f"{name} answered {response.status_code} without a {resource!r} array",
                request=name,
                attempts=attempts,
                status=response.status_code,
            )
        total = body.get("total_record_count", body.get("total_count"))
        return Page(
            resource=resource,
            number=number,
            page_size=page_size,
            total_record_count=int(total) if total not in (None, "") else None,
            rows=rows,
        )

    # -- token --------------------------------------------------------------------------------

    def authenticate(self) -> None:
        """Ask GP for a new access token now (also done lazily before the first request)."""
        response, name, attempts = self._send(
            "POST", "accesstoken", json_body=self._token_request, authenticated=False
        )
        body = _json_object(response, name, attempts)
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise HeartlandAuthenticationError(
                f"{name} answered {response.status_code} without a token",
                request=name,
                attempts=attempts,
                status=response.status_code,
            )
        try:
            lifetime = float(body.get("seconds_to_expire") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        lifetime = lifetime or float(self._config.seconds_to_expire)
        self.token_requests += 1
        self._token = token
        self._token_renew_at = (
            self._clock() + lifetime - min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 10)
        )

    def _token_request(self) -> dict:
        """A fresh nonce per attempt: GP may refuse a nonce it has seen."""
        nonce = f"{datetime.now(UTC).isoformat(timespec='milliseconds')}-{secrets.token_hex(8)}"
        return {
            "app_id": self._app_id,
            "nonce": nonce,
            "secret": hashlib.sha512((nonce + self._app_key).encode()).hexdigest(),
            "grant_type": "client_credentials",
            "seconds_to_expire": self._config.seconds_to_expire,
        }

    def _current_token(self) -> str:
        if self._token is None or self._clock() >= self._token_renew_at:
            self.authenticate()
        assert self._token is not None
        return self._token

    # -- the retry policy ---------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: Callable[[], dict] | None = None,
        authenticated: bool = True,
    ) -> tuple[httpx.Response, str, int]:
        """The response (2xx), the request's name and the attempts it took; else raise."""
        max_attempts = self._config.max_attempts
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            headers = {"Authorization": f"Bearer {self._current_token()}"} if authenticated else {}
            request = self._http.build_request(
                method,
                path,
                params=params,
                json=json_body() if json_body else None,
                headers=headers,
            )
            name = f"{method} {request.url.raw_path.decode('ascii')}"
            status = retry_after = None
            try:
                response = self._http.send(request)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                failure = f"{type(exc).__name__}: {exc or 'no detail'}"
            else:
                if response.is_success:
                    return response, name, attempt
                status = response.status_code
                gp = _gp_error(response)
                failure = _describe(status, gp)
                if status == 401 and authenticated and not refreshed:
                    logger.warning("%s: %s; requesting a new access token once", name, failure)
                    refreshed = True
                    self._token = None
                    attempt -= 1  # a refused token is not a failed attempt of the request
                    continue
                if status not in RETRYABLE_STATUSES:
                    raise self._refused(name, attempt, status, gp, failure, authenticated)
                if status in RETRY_AFTER_STATUSES:
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt >= max_attempts:
                raise HeartlandApiError(
                    f"{name} failed after {attempt} attempt{'s' * (attempt > 1)}; "
                    f"last failure: {failure}",
                    request=name,
                    attempts=attempt,
                    status=status,
                )
            delay = self._backoff(attempt, retry_after)
            logger.warning(
                "%s failed (%s); attempt %d of %d, retrying in %.2fs",
                name,
                failure,
                attempt,
                max_attempts,
                delay,
            )
            self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return backoff_delay(
            attempt,
            self._config.backoff_base_seconds,
            self._config.backoff_max_seconds,
            retry_after,
            self._rng,
        )

    def _refused(
        self,
        name: str,
        attempts: int,
        status: int,
        gp: dict[str, str | None],
        failure: str,
        authenticated: bool,
    ) -> HeartlandApiError:
        fields = {
            "request": name,
            "attempts": attempts,
            "status": status,
            "error_code": gp["error_code"],
            "detailed_error_code": gp["detailed_error_code"],
            "description": gp["detailed_error_description"],
        }
        if status == 401 and authenticated:
            return HeartlandAuthenticationError(
                f"{name} refused: {failure}, again with a fresh access token; not retrying",
                **fields,
            )
        if status in (401, 403) and not authenticated:
            return HeartlandAuthenticationError(
                f"{name} for app_id {self._app_id!r} refused: {failure}; "
                "check HEARTLAND_APP_ID / HEARTLAND_APP_KEY and base_url",
                **fields,
            )
        return HeartlandApiError(f"{name} refused: {failure} (not retried)", **fields)


# -- helpers ------------------------------------------------------------------------------------


def _resolved(value: object) -> str:
    """The value of a field that may still be an unresolved ``dg.EnvVar`` outside a run."""
    return value.get_value() if isinstance(value, dg.EnvVar) else str(value)


def _gp_error(response: httpx.Response) -> dict[str, str | None]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    return {
        key: (str(body[key]) if body.get(key) is not None else None)
        for key in ("error_code", "detailed_error_code", "detailed_error_description")
    }


def _describe(status: int, gp: dict[str, str | None]) -> str:
    text = f"HTTP {status}"
    if gp["error_code"]:
        text += f" {gp['error_code']}"
    if gp["detailed_error_code"]:
        text += f" ({gp['detailed_error_code']})"
    if gp["detailed_error_description"]:
        text += f": {gp['detailed_error_description']}"
    return text


def _json_object(response: httpx.Response, name: str, attempts: int) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HeartlandApiError(
            f"{name} answered {response.status_code} with a body that is not a JSON object",
            request=name,
            attempts=attempts,
            status=response.status_code,
        )
    return body
