"""The Heartland Retail (POS) REST client: listings, single records, creates and updates.

:class:`HeartlandRetailClient` is the Dagster resource (its fields are the configuration; the
subdomain and the API token come from ``dg.EnvVar("HEARTLAND_RETAIL_SUBDOMAIN")`` /
``dg.EnvVar("HEARTLAND_RETAIL_TOKEN")``). ``client.open()`` gives a :class:`RetailApi` session
owning one ``httpx.Client``. The sandbox plugs in at the transport seam
(``open(sim.transport())``) or by pointing ``base_url`` at the loopback simulator, so the
production code path is the tested one.

What it relies on (docs/heartland_retail.md, the contract; facts in
shared/reference/heartland-retail-payroll.md §1–§2): ``https://{subdomain}.retail.heartland.us/api/``,
``Authorization: Bearer <token>``, lists answering ``{"total", "pages", "results"}``, a create
answering 201 with the new record's URL in ``Location``.

Money arrives as JSON numbers; every body is read with :mod:`hl_d365_assets.http.exact_json`'s
rules (fractions as ``Decimal``, never float). A listing page is read by :func:`listing_body`:
each record is parsed once by the C scanner and its text is the slice of the answer that held
it, so what lands is byte for byte what Heartland sent and nothing is serialised again (a
million-line day is a thousand pages; re-emitting every record in Python was half a pull).

Retries are not decided here: the client sends through the project's one HTTP seam,
:class:`~hl_d365_assets.http.RetryingTransport` (429 honouring ``Retry-After``, 5xx, dropped
connections; a ``POST`` is never repeated once it may have reached the server). What is left
here is reading Heartland's answers into records and errors that name the request.
"""

from __future__ import annotations

import json.decoder
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import httpx
from pydantic import Field

from hl_d365_assets.heartland_retail.errors import (
    HeartlandRetailApiError,
    HeartlandRetailAuthenticationError,
    HeartlandRetailOutcomeUnknown,
    failure_text,
    no_answer,
    refusal,
    unexpected_answer,
)
from hl_d365_assets.heartland_retail.query import ExtraParams, Filter, listing_params
from hl_d365_assets.http import (
    NoAnswer,
    OutcomeUnknown,
    RetryingTransport,
    RetryPolicy,
    exact_json,
    request_name,
    resolved,
)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

_LOCATION_ID = re.compile(r"/(\d+)/?$")

__all__ = [
    "HeartlandRetailApiError",
    "HeartlandRetailAuthenticationError",
    "HeartlandRetailClient",
    "HeartlandRetailOutcomeUnknown",
    "RetailApi",
    "RetailPage",
    "RetailRecord",
    "production_base_url",
]


def production_base_url(subdomain: str) -> str:
    """Every API path is relative to the account's subdomain (reference §1)."""
    return f"https://{subdomain}.retail.heartland.us/api/"


@dataclass(frozen=True)
class RetailRecord:
    """One record as Heartland sent it."""

    data: dict = field(repr=False)
    """Parsed with exact_json: numbers with a fraction are ``Decimal``, never float."""
    text: str
    """One line of JSON with the digits as sent (``72.95`` stays ``72.95``); what the landing
    zone stores as the payload. From a listing, the record's own text in the answer (see
    :func:`listing_body`); from :meth:`of`, compact JSON written by :func:`exact_json.dumps`."""

    @classmethod
    def of(cls, data: dict) -> RetailRecord:
        return cls(data=data, text=exact_json.dumps(data))

    @classmethod
    def served(cls, data: dict, text: str) -> RetailRecord:
        """``data`` parsed from ``text``, the record exactly as the answer held it. JSON strings
        cannot hold a raw line break, so one in ``text`` is whitespace between tokens (a
        pretty-printed answer): that record is written compactly instead, as a landing line
        must be one line."""
        if "\n" in text or "\r" in text:
            return cls.of(data)
        return cls(data=data, text=text)


@dataclass(frozen=True)
class RetailPage:
    """One page of a listing."""

    path: str
    number: int
    pages: int
    """How many pages the listing has at this ``per_page`` (as answered with this page)."""
    total: int
    """How many records match the filter (as answered with this page)."""
    records: list[RetailRecord]


class HeartlandRetailClient(dg.ConfigurableResource):
    """Heartland Retail's REST API over HTTPS; ``open()`` starts a session."""

    subdomain: str = Field(
        description="The account, as in https://<subdomain>.retail.heartland.us; from "
        'dg.EnvVar("HEARTLAND_RETAIL_SUBDOMAIN").'
    )
    token: str = Field(
        repr=False, description='API token, from dg.EnvVar("HEARTLAND_RETAIL_TOKEN"); never logged.'
    )
    base_url: str | None = Field(
        default=None,
        description="Overrides https://<subdomain>.retail.heartland.us/api/ (the simulator).",
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="Per request (connect, read).")
    max_attempts: int = Field(default=5, ge=1, description="Tries per request, the first included.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Cap of one wait, Retry-After included (a third-party client defaults a "
        "Retry-After-less 429 to 60 s).",
    )
    page_size: int = Field(
        default=1000,
        ge=1,
        le=5000,
        description="Records per listing page (the largest assumed served is 5,000).",
    )

    @property
    def api_url(self) -> str:
        """The API root, ending in ``/``."""
        if self.base_url:
            return resolved(self.base_url).rstrip("/") + "/"
        return production_base_url(resolved(self.subdomain) or "")

    def open(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> RetailApi:
        """A session (use it as a context manager). ``transport`` replaces the network (tests,
        the in-process simulator); ``sleep`` is injectable so tests can record the backoff.
        ``clock`` is accepted for symmetry with the other clients (a static token does not
        age)."""
        return RetailApi(self, transport=transport, sleep=sleep)


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request; the token is not in ``repr``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerToken(<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class RetailApi:
    """One session: an ``httpx.Client`` sending through the retrying transport.

    Meant for one thread (one asset step); open one per thread rather than sharing it.
    """

    def __init__(
        self,
        config: HeartlandRetailClient,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
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
            base_url=config.api_url,
            transport=RetryingTransport(policy, transport, describe=failure_text),
            timeout=httpx.Timeout(config.timeout_seconds),
            headers={"Accept": "application/json"},
            auth=BearerToken(resolved(config.token) or ""),
        )

    def __enter__(self) -> RetailApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- reading ------------------------------------------------------------------------------

    def list_page(
        self,
        path: str,
        *,
        filters: Filter | Sequence[Filter] = (),
        sort: Sequence[str] = (),
        only: Sequence[str] = (),
        include: Sequence[str] = (),
        page: int = 1,
        per_page: int | None = None,
        params: ExtraParams | None = None,
    ) -> RetailPage:
        """Page ``page`` of the listing at ``path`` (``sales/tickets``, ``items``, ...).

        ``filters``: one condition object or several that must all hold
        (``{"id": {"$gt": last_id}}``); ``sort``: ``"id"`` or ``"updated_at,desc"``;
        ``only``/``include``: field names; ``params``: anything else the endpoint takes
        (``{"group[]": ["item_id", "location_id"]}``). ``per_page`` defaults to the resource's
        ``page_size``.
        """
        query = listing_params(
            filters=filters,
            sort=sort,
            only=only,
            include=include,
            page=page,
            per_page=per_page or self._config.page_size,
            params=params,
        )
        response, name = self._send("GET", path, params=query)
        try:
            body, results = listing_body(response.content)
        except (ValueError, UnicodeDecodeError):
            raise unexpected_answer(name, response, "with a body that is not JSON") from None
        if body is None:
            raise unexpected_answer(name, response, "with a body that is not a JSON object")
        if results is None or not all(isinstance(r.data, dict) for r in results):
            raise unexpected_answer(name, response, "without a results array of objects")
        total, pages = body.get("total"), body.get("pages")
        if not _count(total) or not _count(pages):
            raise unexpected_answer(name, response, "without whole-number total and pages")
        return RetailPage(
            path=path,
            number=page,
            pages=pages,
            total=total,
            records=results,
        )

    def iter_pages(
        self,
        path: str,
        *,
        filters: Filter | Sequence[Filter] = (),
        sort: Sequence[str] = (),
        only: Sequence[str] = (),
        include: Sequence[str] = (),
        per_page: int | None = None,
        params: ExtraParams | None = None,
    ) -> Iterator[RetailPage]:
        """Pages 1..``pages`` of a listing (page 1 always, so an empty listing still tells its
        ``total``). Offset paging: a record created or changed while the pages are read can
        shift between them; a resumable pull keys on ``id`` instead (``{"id": {"$gt": n}}``
        sorted by ``id``, page 1 each time), as Heartland's own importer does."""
        number = 1
        while True:
            page = self.list_page(
                path,
                filters=filters,
                sort=sort,
                only=only,
                include=include,
                page=number,
                per_page=per_page,
                params=params,
            )
            yield page
            if number >= page.pages or not page.records:
                return
            number += 1

    def get(self, path: str, *, include: Sequence[str] = ()) -> RetailRecord:
        """The record at ``path`` (``customers/5012``)."""
        query = [("_include[]", name) for name in include]
        response, name = self._send("GET", path, params=query)
        return RetailRecord.of(_json_object(response, name))

    # -- writing ------------------------------------------------------------------------------

    def create(self, path: str, body: Mapping[str, object]) -> int:
        """POST a new record; its id, read from the ``Location`` header of the 201 answer (the
        body is not relied on, as the gem does not). Never repeated once it may have reached
        Heartland: :class:`HeartlandRetailOutcomeUnknown` then."""
        response, name = self._send("POST", path, json_body=body)
        if response.status_code != 201:
            raise unexpected_answer(name, response, "instead of 201 Created")
        location = response.headers.get("Location", "")
        found = _LOCATION_ID.search(location.split("?", 1)[0])
        if found is None:
            raise unexpected_answer(name, response, "without a Location ending in the new id")
        return int(found.group(1))

    def update(self, path: str, body: Mapping[str, object]) -> None:
        """PUT a partial record: only the fields in ``body`` change."""
        self._send("PUT", path, json_body=body)

    # -- the one send -------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: Mapping[str, object] | None = None,
    ) -> tuple[httpx.Response, str]:
        """The 2xx answer and the request's name; else raise naming the request."""
        headers = {}
        content = None
        if json_body is not None:
            content = exact_json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = self._http.build_request(
            method, path.lstrip("/"), params=params, content=content, headers=headers
        )
        name = request_name(request)
        try:
            response = self._http.send(request)
        except OutcomeUnknown as exc:
            raise no_answer(name, exc.attempts, exc.failure, outcome_unknown=True) from None
        except NoAnswer as exc:
            raise no_answer(name, exc.attempts, exc.failure) from None
        except httpx.TransportError as exc:
            raise no_answer(name, 1, f"{type(exc).__name__}: {exc or 'no detail'}") from None
        if not response.is_success:
            raise refusal(name, response)
        return response, name


def _json_object(response: httpx.Response, name: str) -> dict:
    try:
        body = exact_json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise unexpected_answer(name, response, "with a body that is not JSON") from None
    if not isinstance(body, dict):
        raise unexpected_answer(name, response, "with a body that is not a JSON object")
    return body


_scan_string = json.decoder.scanstring
_SPACE = re.compile(r"[ \t\n\r]*")


def listing_body(content: bytes | str) -> tuple[dict | None, list[RetailRecord] | None]:
    """A listing answer read in one pass: its members (``results`` parsed) and each element of
    ``results`` as a :class:`RetailRecord` whose text is the element's slice of ``content``.

    Walks the top-level object member by member and ``results`` element by element with
    :func:`exact_json.raw_decode` (C scanner; fractions as ``Decimal``, ``NaN`` refused),
    so a record is parsed once and never serialised again. Gives ``(None, None)`` for JSON that
    is not an object and ``(body, None)`` when ``results`` is missing or not an array (the last
    ``results`` member wins, as in ``json.loads``); raises ``ValueError`` for text that is not
    one JSON value.
    """
    text = content.decode("utf-8") if isinstance(content, bytes | bytearray) else content
    space = _SPACE.match
    at = space(text, 0).end()
    if text[at : at + 1] != "{":
        exact_json.loads(text)  # not JSON (ValueError), or JSON that is not an object
        return None, None
    body: dict = {}
    records: list[RetailRecord] | None = None
    at = space(text, at + 1).end()
    if text[at : at + 1] == "}":
        at += 1
    else:
        while True:
            if text[at : at + 1] != '"':
                raise ValueError(f"expected a member name at {at}")
            key, at = _scan_string(text, at + 1)
            at = space(text, at).end()
            if text[at : at + 1] != ":":
                raise ValueError(f"expected ':' at {at}")
            at = space(text, at + 1).end()
            if key == "results" and text[at : at + 1] == "[":
                records, at = _records(text, at)
                body[key] = [record.data for record in records]
            else:
                body[key], at = exact_json.raw_decode(text, at)
                if key == "results":
                    records = None
            at = space(text, at).end()
            if text[at : at + 1] == ",":
                at = space(text, at + 1).end()
                continue
            if text[at : at + 1] == "}":
                at += 1
                break
            raise ValueError(f"expected ',' or '}}' at {at}")
    if space(text, at).end() != len(text):
        raise ValueError("text after the object")
    return body, records


def _records(text: str, at: int) -> tuple[list[RetailRecord], int]:
    """The array starting at ``text[at] == "["``: each element with its own text."""
    space = _SPACE.match
    records: list[RetailRecord] = []
    at = space(text, at + 1).end()
    if text[at : at + 1] == "]":
        return records, at + 1
    while True:
        data, end = exact_json.raw_decode(text, at)
        records.append(RetailRecord.served(data, text[at:end]))
        at = space(text, end).end()
        if text[at : at + 1] == ",":
            at = space(text, at + 1).end()
            continue
        if text[at : at + 1] == "]":
            return records, at + 1
        raise ValueError(f"expected ',' or ']' at {at}")


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
