"""A local stand-in for the Heartland Retail (POS) REST API serving the sandbox's records.

One WSGI application, used two ways: in process through
:meth:`HeartlandRetailSimulator.transport` (an ``httpx`` transport, for tests) and as a real
threaded HTTP server on loopback through :func:`serve` (``hl-d365 retail-sim``). The client
cannot tell which one it talks to, nor (we aim) whether it talks to Heartland: paths, the bearer
token, the list envelope and the query parameters follow docs/heartland_retail.md, which rests on
shared/reference/heartland-retail-payroll.md §1–§5.

From the facts: paths under ``/api/``; ``Authorization: Bearer <token>``; lists answer
``{"total", "pages", "results"}`` with ``page`` (from 1) and ``per_page`` (default 20, the
gem's); ``_filter`` as a JSON object or array, or repeated ``_filter[]`` (HR-POLE); ``sort[]``
with ``,desc`` (``sort=`` too, as HR-POLE sends it); ``_only[]``; ``_include[]`` embedding
ticket ``lines``/``payments`` and location ``stations``; ``per_page=all`` (HR-POLE, for
locations); ``inventory/values`` per item × location with
``group[]=item_id&group[]=location_id`` and ``exclude_empty_locations=true``; a create answers
201 with ``Location``; an update is a partial ``PUT``.

Guessed, on purpose (a real account may differ):

- the largest page is 5,000; a larger ``per_page`` is refused (400), not clamped;
- the error body is ``{"error": "<text>"}`` for every refusal (401 ``Unauthorized``, 404, 400);
- with no ``sort[]`` a listing is in key order (``id``; item, then location for stock);
- ``customers`` embed ``addresses`` with ``_include[]=addresses`` (the address resource itself
  is ``customers/{id}/addresses``, from the facts); an ``_include[]`` naming anything else (HR-POLE
  asks for ``subtotal``, which a ticket carries anyway) changes nothing;
- ``exclude_empty_locations=true`` drops rows whose ``qty_on_hand`` is zero or missing;
  ``inventory/values`` without both groups is refused as not supported by the simulator
  (Heartland would answer totals per location, or one total);
- a query parameter the simulator does not know is refused (400 naming it) rather than ignored;
- a created record takes the next id above any ever held, and ``created_at``/``updated_at`` in
  UTC with milliseconds; an update moves ``updated_at`` forward (at least 1 ms past the last).

Faults (:class:`Faults`, the project's fault script) are scripted per test: throttling with
``Retry-After``, server errors, dropped connections, slow answers. Every request is recorded
(:attr:`HeartlandRetailSimulator.log`, :attr:`~HeartlandRetailSimulator.requests` by path) so
tests can count a client's calls.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import hmac
import logging
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from hl_d365_assets.http import exact_json
from hl_d365_assets.sandbox.credentials import SANDBOX_RETAIL_TOKEN
from hl_d365_assets.sandbox.fault_script import Fault, FaultScript
from hl_d365_assets.sandbox.heartland_retail_filters import (
    FilterError,
    Row,
    compile_filter,
    parse_sort,
    sort_value,
)
from hl_d365_assets.sandbox.heartland_retail_store import (
    RESOURCES,
    Collection,
    Document,
    ResourceSpec,
    RetailStore,
    load_store,
    object_members,
)
from hl_d365_assets.sandbox.in_process import InProcessTransport
from hl_d365_assets.sandbox.loopback import ConnectionDropped, LoopbackServer, ServedRequest

logger = logging.getLogger(__name__)

BASE_PATH = "/api"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 5000
DEFAULT_PORT = 8767

_BY_PATH = {spec.path: spec for spec in RESOURCES.values()}
_SINGLE = re.compile(r"^(?P<path>.+)/(?P<id>\d+)(?P<addresses>/addresses)?$")
_LIST_PARAMETERS = frozenset(
    {"_filter", "_filter[]", "sort", "sort[]", "_only[]", "_include[]", "page", "per_page"}
)
_STOCK_PARAMETERS = frozenset({"group[]", "exclude_empty_locations"})
_GROUPS = ("item_id", "location_id")

_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class Faults(FaultScript):
    """Misbehaviour on demand (sandbox/fault_script.py). ``path`` restricts a fault to one path
    (``/api/sales/tickets``); by default it hits any request."""


class _Refusal(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


@dataclass
class _Answer:
    status: int
    body: str
    headers: list[tuple[str, str]] = field(default_factory=list)


class HeartlandRetailSimulator:
    """Heartland Retail over a :class:`RetailStore`; a WSGI application (``sim(environ,
    start)``)."""

    def __init__(
        self,
        store: RetailStore | Path | str | None = None,
        *,
        token: str = SANDBOX_RETAIL_TOKEN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``store``: the records, or a folder of data files (:func:`load_store`). ``clock``
        (epoch seconds) dates created and updated records."""
        if store is None:
            store = RetailStore()
        elif not isinstance(store, RetailStore):
            store = load_store(store)
        self.store = store
        self._token = token
        self.clock = clock
        self.faults = Faults()
        self.requests: Counter[str] = Counter()
        self.log: deque[ServedRequest] = deque(maxlen=100_000)
        self._log_lock = threading.Lock()

    # -- runtime controls for tests -----------------------------------------------------------

    def put(self, resource: str, document: dict | str) -> None:
        """Add a record or a later version of it (``resource``: ``tickets``, ``items``, ...)."""
        self.store.put(resource, document)

    def delete(self, resource: str, key: int | tuple) -> bool:
        return self.store.delete(resource, key)

    def served(self, path: str | None = None, method: str | None = None) -> list[ServedRequest]:
        """The requests answered (or dropped), optionally only those to ``path`` / by
        ``method``."""
        with self._log_lock:
            log = list(self.log)
        return [
            r
            for r in log
            if (path is None or r.path == path) and (method is None or r.method == method)
        ]

    # -- in process and WSGI ------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport serving this simulator in process (no sockets, no timeouts)."""
        return InProcessTransport(app=self)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        with self._log_lock:
            self.requests[path] += 1
        fault, released = self.faults.take(path)
        try:
            answer = self._faulted(fault, released) if fault is not None else None
            if answer is None:
                answer = self._answer(method, path, query, environ)
            if fault is not None and fault.kind == "slow":  # applied; only the answer is late
                released.wait(fault.seconds)
        except ConnectionDropped:
            self._record(method, path, query, None)
            raise
        self._record(method, path, query, answer.status)
        body = answer.body.encode()
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *answer.headers,
        ]
        start_response(f"{answer.status} {_REASONS.get(answer.status, 'Error')}", headers)
        return [body]

    def _record(self, method: str, path: str, query: str, status: int | None) -> None:
        with self._log_lock:
            self.log.append(ServedRequest(method, path, query, status))

    def _faulted(self, fault: Fault, released: threading.Event) -> _Answer | None:
        if fault.kind == "drop":
            raise ConnectionDropped(f"fault: connection dropped ({fault.path or 'any path'})")
        if fault.kind == "slow":
            return None
        answer = _error(fault.status, f"fault: {fault.kind} scripted")
        if fault.retry_after is not None:
            value = fault.retry_after
            answer.headers.append(
                ("Retry-After", value if isinstance(value, str) else f"{value:g}")
            )
        return answer

    def _answer(self, method: str, path: str, query: str, environ: dict) -> _Answer:
        try:
            scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), self._token.encode()
            ):
                raise _Refusal(401, "Unauthorized")
            if not path.startswith(BASE_PATH + "/"):
                raise _Refusal(404, f"no route {path}")
            route = path[len(BASE_PATH) + 1 :].rstrip("/")
            params = parse_qsl(query, keep_blank_values=True)
            with self.store.lock:
                return self._route(method, route, params, environ)
        except _Refusal as refusal:
            return _error(refusal.status, refusal.error)

    def _route(
        self, method: str, route: str, params: list[tuple[str, str]], environ: dict
    ) -> _Answer:
        spec = _BY_PATH.get(route)
        if spec is not None:
            if method == "GET":
                return self._list(spec, params)
            if method == "POST" and spec.writable:
                return self._create(spec, environ)
            raise _Refusal(405, f"{method} is not served at {route}")
        single = _SINGLE.match(route)
        spec = _BY_PATH.get(single.group("path")) if single else None
        if spec is None or spec.key != ("id",):
            raise _Refusal(404, f"no route {route}")
        record_id = int(single.group("id"))
        collection = self.store.collections[spec.name]
        document = collection.documents.get((record_id,))
        if document is None:
            raise _Refusal(404, f"{spec.name} {record_id} not found")
        if single.group("addresses"):
            if spec.name != "customers" or method != "GET":
                raise _Refusal(404, f"no route {route}")
            return self._addresses(document, params)
        if method == "GET":
            include = self._includes(spec, [v for k, v in params if k == "_include[]"])
            return _Answer(200, document.served(include))
        if method == "PUT" and spec.writable:
            return self._update(spec, collection, document, environ)
        raise _Refusal(405, f"{method} is not served at {route}")

    # -- listings -----------------------------------------------------------------------------

    def _list(self, spec: ResourceSpec, params: list[tuple[str, str]]) -> _Answer:
        allowed = _LIST_PARAMETERS | (
            _STOCK_PARAMETERS if spec.name == "inventory_values" else set()
        )
        unknown = sorted({name for name, _ in params} - allowed)
        if unknown:
            raise _Refusal(400, f"parameter {unknown[0]} is not supported by the simulator")
        values = _grouped(params)
        exclude_empty = False
        if spec.name == "inventory_values":
            if tuple(values.get("group[]", ())) != _GROUPS:
                raise _Refusal(
                    400,
                    "grouping other than group[]=item_id&group[]=location_id is not supported "
                    "by the simulator",
                )
            exclude_empty = _last(values, "exclude_empty_locations", "false") == "true"
        conditions = []
        for name in ("_filter", "_filter[]"):
            for text in values.get(name, ()):
                try:
                    condition = exact_json.loads(text)
                except ValueError:
                    raise _Refusal(400, f"{name} is not valid JSON") from None
                conditions += condition if isinstance(condition, list) else [condition]
        try:
            compiled = compile_filter(spec, conditions)
            sort = parse_sort([*values.get("sort[]", ()), *values.get("sort", ())])
        except FilterError as error:
            raise _Refusal(400, str(error)) from None
        page = _positive(_last(values, "page", "1"), "page")
        per_page_text = _last(values, "per_page", str(DEFAULT_PER_PAGE))
        include = self._includes(spec, values.get("_include[]", ()))
        only = values.get("_only[]", ())

        collection = self.store.collections[spec.name]
        low, high = _bounds(collection, compiled.key_range)
        if compiled.rest or exclude_empty:
            keys = [
                key
                for key in collection.order[low:high]
                if _kept(spec, collection.documents[key], compiled, exclude_empty)
            ]
            low, high = 0, len(keys)
        else:
            keys = collection.order  # still the whole order; the range says which part
        total = high - low
        per_page = max(total, 1) if per_page_text == "all" else _positive(per_page_text, "per_page")
        if per_page > MAX_PER_PAGE:
            raise _Refusal(400, f"per_page must be at most {MAX_PER_PAGE} (or all)")
        start = (page - 1) * per_page
        by_id = len(sort) == 1 and spec.key == ("id",) and sort[0].field == "id"
        if not sort or (by_id and not sort[0].descending):
            chosen = keys[low + start : low + min(start + per_page, total)]
        elif by_id:
            end = max(low, high - start)
            chosen = keys[max(low, end - per_page) : end][::-1]
        else:
            chosen = self._sorted(spec, collection, keys[low:high], sort)[start : start + per_page]
        results = ",".join(_rendered(collection.documents[key], include, only) for key in chosen)
        pages = -(-total // per_page)
        return _Answer(200, f'{{"total":{total},"pages":{pages},"results":[{results}]}}')

    def _sorted(
        self, spec: ResourceSpec, collection: Collection, keys: list[tuple], sort: list
    ) -> list[tuple]:
        rows = {key: Row(spec, collection.documents[key]) for key in keys}
        ordered = list(keys)  # key order breaks ties, so pages are stable
        for sort_key in reversed(sort):
            ordered.sort(
                key=lambda key, name=sort_key.field: sort_value(rows[key].get(name)),
                reverse=sort_key.descending,
            )
        return ordered

    def _includes(self, spec: ResourceSpec, names: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for name in names if name in spec.includes))

    def _addresses(self, document: Document, params: list[tuple[str, str]]) -> _Answer:
        addresses = exact_json.loads(document.association("addresses"))
        values = _grouped(params)
        page = _positive(_last(values, "page", "1"), "page")
        per_page = _positive(_last(values, "per_page", str(DEFAULT_PER_PAGE)), "per_page")
        chosen = addresses[(page - 1) * per_page : page * per_page]
        results = ",".join(exact_json.dumps(address) for address in chosen)
        total = len(addresses)
        return _Answer(
            200, f'{{"total":{total},"pages":{-(-total // per_page)},"results":[{results}]}}'
        )

    # -- writes -------------------------------------------------------------------------------

    def _create(self, spec: ResourceSpec, environ: dict) -> _Answer:
        body = _body(environ)
        collection = self.store.collections[spec.name]
        now = _timestamp(self.clock())
        record = {"id": collection.highest_id + 1, **_written(body, {})}
        record["id"] = collection.highest_id + 1  # a body's own id is not taken
        record.setdefault("created_at", now)
        record["updated_at"] = now
        document = self.store.put(spec.name, record)
        host = environ.get("HTTP_HOST") or "127.0.0.1"
        location = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{BASE_PATH}/{spec.path}"
        return _Answer(
            201,
            document.served(spec.includes),
            [("Location", f"{location}/{record['id']}")],
        )

    def _update(
        self, spec: ResourceSpec, collection: Collection, document: Document, environ: dict
    ) -> _Answer:
        record = _written(_body(environ), document.data())
        record["id"] = document.key[0]
        record["updated_at"] = _later_timestamp(self.clock(), document.indexed.get("updated_at"))
        updated = self.store.put(spec.name, record)
        return _Answer(200, updated.served(spec.includes))


# -- the real server ----------------------------------------------------------------------------


class SimulatorServer(LoopbackServer):
    """A running loopback server; ``base_url`` is what a client's ``base_url`` is set to."""

    def __init__(
        self, sim: HeartlandRetailSimulator, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.simulator = sim
        super().__init__(
            sim, "heartland-retail-simulator", host, port, on_stop=sim.faults.release_slow
        )
        self.base_url = self.url + BASE_PATH


def serve(sim: HeartlandRetailSimulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Serve ``sim`` over real HTTP/1.1 (keep-alive, one thread per connection) until stopped."""
    return SimulatorServer(sim, host, port)


# -- helpers ------------------------------------------------------------------------------------


def _error(status: int, error: str) -> _Answer:
    return _Answer(status, exact_json.dumps({"error": error}))


def _grouped(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    return values


def _last(values: dict[str, list[str]], name: str, default: str) -> str:
    return values[name][-1] if name in values else default


def _positive(text: str, name: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise _Refusal(400, f"{name} must be a whole number from 1")
    return int(text)


def _bounds(collection: Collection, key_range) -> tuple[int, int]:
    """The part of the key order an ``id`` range keeps, by bisection."""
    order = collection.order
    low, high = 0, len(order)
    if key_range.low is not None:
        bound = (key_range.low,)
        low = (bisect.bisect_left if key_range.low_inclusive else bisect.bisect_right)(order, bound)
    if key_range.high is not None:
        bound = (key_range.high,)
        high = (bisect.bisect_right if key_range.high_inclusive else bisect.bisect_left)(
            order, bound
        )
    return low, max(low, high)


def _kept(spec: ResourceSpec, document: Document, compiled, exclude_empty: bool) -> bool:
    if exclude_empty and not document.indexed.get("qty_on_hand"):
        return False
    return compiled.test(Row(spec, document))


def _rendered(document: Document, include: tuple[str, ...], only: list[str]) -> str:
    if not only:
        return document.served(include)
    wanted = set(only)
    members = [
        f"{exact_json.dumps(name)}:{raw}"
        for name, _, raw in object_members(document.served())
        if name in wanted
    ]
    members += [f'"{name}":{document.association(name)}' for name in include]
    return "{" + ",".join(members) + "}"


def _body(environ: dict) -> dict:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        body = exact_json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _Refusal(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Refusal(400, "the body is not a JSON object")
    return body


def _written(body: dict, record: dict) -> dict:
    """``record`` with ``body``'s fields: ``custom@<key>`` and a ``custom`` object merge into
    the record's custom fields (HR-SRDM and HR-CODE write both ways)."""
    merged = dict(record)
    custom = dict(merged.get("custom") or {})
    for name, value in body.items():
        if name.startswith("custom@"):
            custom[name[7:]] = value
        elif name == "custom" and isinstance(value, dict):
            custom.update(value)
        else:
            merged[name] = value
    if custom or "custom" in merged:
        merged["custom"] = custom
    return merged


def _timestamp(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _later_timestamp(epoch: float, previous: object) -> str:
    """Now, or 1 ms after ``previous`` when the clock has not moved past it: an ``updated_at``
    cursor must see every update."""
    moment = datetime.fromtimestamp(epoch, UTC)
    if isinstance(previous, datetime) and previous.tzinfo is not None and moment <= previous:
        moment = previous.astimezone(UTC) + timedelta(milliseconds=1)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="folder of <resource>.ndjson")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    sim = HeartlandRetailSimulator(args.store)
    counts = sim.store.counts()
    skipped = {name: n for name, n in sim.store.skipped.items() if n}
    with serve(sim, args.host, args.port) as server:
        print(
            f"Heartland Retail simulator at {server.base_url} serving {counts} from "
            f"{args.store}{f' (skipped lines: {skipped})' if skipped else ''}; "
            f"token {SANDBOX_RETAIL_TOKEN!r} (sandbox). Ctrl-C stops it.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
