"""The GP-API REST client: paged listings over one ``httpx.Client``.

:class:`HeartlandClient` is the Dagster resource (its fields are the configuration, the app id
and key coming from ``dg.EnvVar("HEARTLAND_APP_ID")`` / ``dg.EnvVar("HEARTLAND_APP_KEY")``).
``client.open()`` gives a :class:`HeartlandApi` session owning one ``httpx.Client``. The sandbox
plugs in at the transport seam (``open(sim.transport())``) or by pointing ``base_url`` at the
loopback simulator, so the production code path is the tested one.

GP-API facts this relies on (shared/reference/gp-api.md): every call carries
``X-GP-Version: 2021-03-22``; lists take ``from_time_created`` / ``to_time_created`` as dates,
``page`` / ``page_size`` / ``order_by`` / ``order``, and answer ``total_record_count`` with the
rows under the resource's name.

The session's client sends through the project's one HTTP seam: retries are decided by
:class:`~hl_d365_assets.http.RetryingTransport` (connection failures, timeouts, 429 honouring
``Retry-After``, 5xx; other 4xx are not retried), the access token is the ``httpx.Auth`` flow
:class:`~hl_d365_assets.heartland.auth.GpAccessToken`. What is left here is reading GP's answers:
a failure raises :class:`HeartlandApiError` naming the request (method, path and query), the
attempts and the last failure (``heartland/errors.py``).

Writes (payment links and charges of D365 orders, :mod:`hl_d365_assets.payment_requests`) send
``x-gp-idempotency`` on every POST and PATCH: the caller's key, the same for every attempt of the
same request, so GP answers a repeat with ``40039`` instead of acting twice
(:class:`HeartlandDuplicateRequest`). The transport never repeats a POST that may have reached GP;
such a write raises :class:`HeartlandOutcomeUnknown`, one that never got through
:class:`HeartlandUnavailable`. Their messages name the request (method and path), never the body,
which carries the payer's e-mail.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import dagster as dg
import httpx
from pydantic import Field

from hl_d365_assets.heartland.auth import TOKEN_EXPIRY_MARGIN_SECONDS, GpAccessToken
from hl_d365_assets.heartland.errors import (
    HeartlandApiError,
    HeartlandAuthenticationError,
    HeartlandDuplicateRequest,
    HeartlandOutcomeUnknown,
    HeartlandUnavailable,
    failure_text,
    no_answer,
    refusal,
    unexpected_body,
)
from hl_d365_assets.http import (
    NoAnswer,
    OutcomeUnknown,
    RetryingTransport,
    RetryPolicy,
    exact_json,
    json_object,
    request_name,
    resolved,
)

GP_API_VERSION = "2021-03-22"
SANDBOX_BASE_URL = "https://apis.sandbox.globalpay.com/ucp"
PRODUCTION_BASE_URL = "https://apis.globalpay.com/ucp"

Sleep = Callable[[float], None]
Clock = Callable[[], float]

__all__ = [
    "GP_API_VERSION",
    "PRODUCTION_BASE_URL",
    "SANDBOX_BASE_URL",
    "TOKEN_EXPIRY_MARGIN_SECONDS",
    "HeartlandApi",
    "HeartlandApiError",
    "HeartlandAuthenticationError",
    "HeartlandClient",
    "HeartlandDuplicateRequest",
    "HeartlandOutcomeUnknown",
    "HeartlandUnavailable",
    "Page",
]


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
    """One session: an ``httpx.Client`` sending through the retrying transport and the token flow.

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
        policy = RetryPolicy(
            max_attempts=config.max_attempts,
            backoff_base_seconds=config.backoff_base_seconds,
            backoff_max_seconds=config.backoff_max_seconds,
            sleep=sleep,
            rng=rng or random.Random(),
        )
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            transport=RetryingTransport(policy, transport, describe=failure_text),
            timeout=httpx.Timeout(config.timeout_seconds),
            headers={"X-GP-Version": GP_API_VERSION, "Accept": "application/json"},
        )
        self._auth = GpAccessToken(
            app_id=resolved(config.app_id) or "",
            app_key=resolved(config.app_key) or "",
            seconds_to_expire=config.seconds_to_expire,
            build_request=self._http.build_request,
            clock=clock,
        )
        self._http.auth = self._auth

    @property
    def token_requests(self) -> int:
        """Access tokens GP issued to this session."""
        return self._auth.token_requests

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

    def iter_transactions_by_reference(
        self, reference: str, from_date: date, to_date: date
    ) -> Iterator[Page]:
        """Transactions whose merchant ``reference`` is ``reference`` (a D365 order number),
        created on ``from_date``..``to_date``: how the poll finds an order's payment when its
        notification was lost (``GET /transactions?reference=…``; an empty answer,
        ``total_record_count: 0``, means still unpaid; shared/reference/gp-api-orders-customers.md
        §2 and §6)."""
        return self.iter_pages("transactions", from_date, to_date, {"reference": reference})

    def iter_pages(
        self, resource: str, from_date: date, to_date: date, filters: dict | None = None
    ) -> Iterator[Page]:
        """Follow ``page`` until ``total_record_count`` rows came, or a page is short or empty."""
        if from_date > to_date:
            raise ValueError(f"from_date {from_date} is after to_date {to_date}")
        received = 0
        number = 1
        while True:
            page = self.fetch_page(resource, from_date, to_date, number, filters)
            if page.rows:
                yield page
            received += len(page.rows)
            complete = page.total_record_count is not None and received >= page.total_record_count
            if complete or len(page.rows) < page.page_size:
                return
            number += 1

    def fetch_page(
        self,
        resource: str,
        from_date: date,
        to_date: date,
        number: int,
        filters: dict | None = None,
    ) -> Page:
        page_size = self._config.page_size
        params = {
            **(filters or {}),
            "from_time_created": from_date.isoformat(),
            "to_time_created": to_date.isoformat(),
            "page": number,
            "page_size": page_size,
            "order_by": "TIME_CREATED",
            "order": "ASC",
        }
        response, name = self._get(resource, params)
        body = json_object(response)
        if body is None:
            raise unexpected_body(name, response, "with a body that is not a JSON object")
        rows = body.get(resource)
        if not isinstance(rows, list):
            raise unexpected_body(name, response, f"without a {resource!r} array")
        total = body.get("total_record_count", body.get("total_count"))
        return Page(
            resource=resource,
            number=number,
            page_size=page_size,
            total_record_count=int(total) if total not in (None, "") else None,
            rows=rows,
        )

    def _get(self, path: str, params: dict) -> tuple[httpx.Response, str]:
        """The 2xx answer and the request's name; else raise naming the request."""
        request = self._http.build_request("GET", path, params=params)
        try:
            response = self._http.send(request)
        except NoAnswer as exc:  # this request's, or the token request's
            raise no_answer(request_name(exc.request), exc.attempts, exc.failure) from None
        name = request_name(request)
        if not response.is_success:
            raise refusal(name, response)
        return response, name

    # -- payment links, stored payment methods and charges ------------------------------------

    def create_link(self, body: dict, idempotency_key: str) -> dict:
        """``POST /links``: the link object GP made (``LNK_…`` id, ``url``, ``status``)."""
        return self._write("POST", "links", body, idempotency_key)

    def edit_link(self, link_id: str, body: dict, idempotency_key: str) -> dict:
        """``PATCH /links/{id}`` (GP wants ``usage_mode``, ``type`` and ``usage_limit`` in it)."""
        return self._write("PATCH", f"links/{link_id}", body, idempotency_key)

    def get_link(self, link_id: str) -> dict:
        return self._get_object(f"links/{link_id}", {})

    def list_links(self, **filters: str) -> list[dict]:
        """Links matching GP's list filters (``reference=…``, ``status=…``), every page."""
        return self._list_all("links", filters)

    def get_payment_method(self, payment_method_id: str) -> dict:
        return self._get_object(f"payment-methods/{payment_method_id}", {})

    def list_payment_methods(self, **filters: str) -> list[dict]:
        """Stored payment methods matching the filters (``reference=…``, ``status=ACTIVE``)."""
        return self._list_all("payment_methods", filters, path="payment-methods")

    def charge_stored_payment_method(self, body: dict, idempotency_key: str) -> dict:
        """``POST /transactions`` against ``payment_method.id`` (a ``PMT_`` token): the
        transaction, ``CAPTURED``, ``PREAUTHORIZED`` or ``DECLINED`` (a decline is an answer,
        not an error)."""
        return self._write("POST", "transactions", body, idempotency_key)

    def get_transaction(self, transaction_id: str) -> dict:
        return self._get_object(f"transactions/{transaction_id}", {})

    def find_transactions(self, reference: str, from_date: date, to_date: date) -> list[dict]:
        """Transactions whose ``reference`` is ``reference``, created ``from_date``..``to_date``
        (UTC dates): how a payment is found for an order (reference, section 6)."""
        return self._list_all(
            "transactions",
            {
                "reference": reference,
                "from_time_created": from_date.isoformat(),
                "to_time_created": to_date.isoformat(),
            },
        )

    def _list_all(self, resource: str, filters: dict, path: str | None = None) -> list[dict]:
        rows: list[dict] = []
        number = 1
        while True:
            params = {**filters, "page": number, "page_size": self._config.page_size}
            body = self._get_object(path or resource, params)
            page = body.get(resource)
            if not isinstance(page, list):
                raise HeartlandApiError(
                    f"GET /{path or resource} answered without a {resource!r} array",
                    request=f"GET /{path or resource}",
                    attempts=1,
                )
            rows += page
            total = body.get("total_record_count", body.get("total_count"))
            done = total not in (None, "") and len(rows) >= int(total)
            if done or len(page) < self._config.page_size:
                return rows
            number += 1

    def _get_object(self, path: str, params: dict) -> dict:
        response, name = self._get(path, params)
        body = json_object(response, exact_json.loads)
        if body is None:
            raise unexpected_body(name, response, "with a body that is not a JSON object")
        return body

    def _write(self, method: str, path: str, body: dict, idempotency_key: str) -> dict:
        """Send one write with its idempotency key; never repeated once it may have reached GP."""
        request = self._http.build_request(
            method,
            path,
            content=exact_json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "x-gp-idempotency": idempotency_key},
        )
        name = request_name(request)
        try:
            response = self._http.send(request)
        except OutcomeUnknown as exc:
            raise no_answer(name, exc.attempts, exc.failure, outcome_unknown=True) from None
        except NoAnswer as exc:
            raise no_answer(request_name(exc.request), exc.attempts, exc.failure) from None
        if not response.is_success:
            raise refusal(name, response)
        answer = json_object(response, exact_json.loads)
        if answer is None:
            raise unexpected_body(name, response, "with a body that is not a JSON object")
        return answer
