"""A local stand-in for GP-API (the Global Payments "UCP" REST API) serving sandbox data.

One WSGI application, used two ways: in process through :meth:`HeartlandSimulator.transport`
(an ``httpx`` transport, for tests) and as a real threaded HTTP server on loopback through
:func:`serve` (for the demo and for tests that need real sockets, timeouts and dropped
connections). The client under test cannot tell which one it talks to, nor (we aim) whether it
talks to GP: paths, headers, token exchange, paging envelope and error envelope follow
shared/reference/gp-api.md and the official SDKs' tests quoted there.

Data: :meth:`HeartlandSimulator.load_landing` reads every landed ``payment_transactions`` and
``settlement_batches`` segment into an in-memory DuckDB, keeping the latest state of each
resource (a void is a second event for the same TRN id; a redelivery collapses). Lines that are
not valid JSON are skipped: an API serialises objects, it cannot serve a broken one. A served
row is the envelope's ``payload`` (the same JSON value; DuckDB re-emits it compactly), except
that a transaction row has GP-API's report shape: ``action_create_id`` (the action that created
it) and no ``action`` object (docs/sandbox-departures.md says what is guessed).

Departures from the real API, on purpose:

- ``GET /ucp/batches`` (time range and paging as ``/transactions``, array key ``batches``) lists
  closed batches. No SDK builds a batch list request (the reference: "UNCLEAR: no SDK builds a
  GET /batches list"); GP publishes batch totals through settlement reports and deposits. The
  simulator offers the list so the pipeline can pull the sandbox's batch resources the way it
  pulls transactions. Against real GP this endpoint is an assumption to be confirmed.
- Only the time range, paging and ordering parameters are implemented; any other filter is
  refused with GP's "unexpected fields" error (40043) rather than silently ignored.
- Without ``from_time_created`` the range starts 30 days before today, as GP's sandbox does
  (PHP ``ReportingTransactionsTest::testReportFindTransactions_WithoutStartDate``). The default
  page size (100) and the largest (1000) are ours: no SDK shows GP's.
- The error envelope of 429 and 5xx answers (``TOO_MANY_REQUESTS`` / ``SYSTEM_ERROR``) is
  invented; no source shows what GP sends then. The 4xx envelopes use the codes and texts the
  SDK tests assert (40001, 40004, 40005, 40043, 40118, 40213).
- Paths under ``/ucp/merchants/{MER_id}/...`` (partner mode) are not served.
- ``GET /ucp/transactions`` also takes ``reference`` (a filter GP-API's reference lists), and
  ``GET /ucp/transactions/{id}`` answers one transaction; the payment
  links, stored payment methods and charges of D365 orders are served by
  :class:`~hl_d365_assets.sandbox.gp_links.PaymentDesk` (its docstring says what it guesses),
  and every transaction it creates joins the listing of its day.

Faults (:class:`Faults`) are scripted per test: throttling, server errors, dropped connections,
slow answers and refused tokens. Every request received is counted in ``requests`` (by path,
faults included) so tests can assert exactly how many calls a client made.

Run it against a landing zone with ``python -m hl_d365_assets.sandbox.heartland_simulator``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import httpx

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.fault_script import Fault, FaultScript
from hl_d365_assets.sandbox.gp_links import CONTROL_PREFIX, PaymentDesk
from hl_d365_assets.sandbox.in_process import InProcessTransport
from hl_d365_assets.sandbox.loopback import ConnectionDropped, LoopbackServer, ServedRequest
from hl_d365_assets.sandbox.sql_files import sql_statement

logger = logging.getLogger(__name__)

BASE_PATH = "/ucp"
TOKEN_PATH = f"{BASE_PATH}/accesstoken"
SUPPORTED_VERSIONS = frozenset({"2021-03-22", "2020-12-22"})
"""X-GP-Version values accepted: today's SDKs send 2021-03-22, releases before 2021-05 sent
2020-12-22 (the reference, section 1)."""

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_LOOKBACK_DAYS = 30
DEFAULT_TOKEN_SECONDS = 600
MIN_TOKEN_SECONDS = 60
MAX_TOKEN_SECONDS = 604_800
"""GP refuses seconds_to_expire 10 and 604801 and accepts 200 (PHP ``AccessTokenTest``);
the exact minimum is not shown, 60 is assumed."""

ACCOUNT_NAMES = {
    "TRA": "transaction_processing",
    "DAA": "settlement_reporting",
    "DIA": "dispute_management",
    "TKA": "tokenization",
}
"""Account prefix -> name as GP's token scope lists them (PHP ``AccessTokenTest``)."""


@dataclass(frozen=True)
class _Listing:
    table: str
    source_entity: str
    array_key: str
    order_by: dict[str, tuple[str, ...]]
    """Accepted ``order_by`` value -> sort columns (the id last, so pages are stable)."""


LISTINGS = {
    f"{BASE_PATH}/transactions": _Listing(
        table="transactions",
        source_entity="payment_transactions",
        array_key="transactions",
        order_by={
            "TIME_CREATED": ("time_created", "id"),
            "ID": ("id",),
            "TYPE": ("type", "time_created", "id"),
        },
    ),
    f"{BASE_PATH}/batches": _Listing(
        table="batches",
        source_entity="settlement_batches",
        array_key="batches",
        order_by={"TIME_CREATED": ("time_created", "id"), "ID": ("id",)},
    ),
}
LIST_PARAMETERS = frozenset(
    {"from_time_created", "to_time_created", "page", "page_size", "order", "order_by", "reference"}
)
"""``reference`` matches a transaction's merchant reference or, for a link payment, its link's
(``link_data.reference``): GP-API filters transactions by reference (gp-api.md §2); whether it also
matches the link's reference is UNCONFIRMED (docs/sandbox-departures.md)."""
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Stays in Python, unlike the module's other SQL (sandbox/sql/heartland_simulator/): its ORDER BY
# lists are built per request from the order_by and order parameters, which cannot be bound.
_SELECT_PAGE = """
WITH matching AS (
    SELECT id, time_created, type
    FROM {table}
    WHERE created_date BETWEEN $from_date AND $to_date
      AND ($reference IS NULL OR $reference IN (
          payload->>'$.reference', payload->>'$.link_data.reference', payload->>'$.order.reference'))
),
page AS (
    SELECT * FROM matching ORDER BY {order} LIMIT $page_size OFFSET $offset
)
SELECT
    (SELECT count(*) FROM matching) AS total_record_count,
    (SELECT count(*) FROM page) AS current_page_size,
    (
        SELECT coalesce(string_agg(stored.payload, ',' ORDER BY {page_order}), '')
        FROM page JOIN {table} AS stored USING (id)
    ) AS items
"""
"""One page as JSON text: the stored payload texts joined, never re-serialised row by row.
Only the sort keys go through the sort; the payloads of the page's rows are joined after."""


class _Refusal(Exception):
    """A request GP would refuse: the status and GP's error envelope."""

    def __init__(
        self, status: int, error_code: str, detailed_error_code: str, description: str
    ) -> None:
        super().__init__(f"{status} {error_code} ({detailed_error_code}): {description}")
        self.status = status
        self.body = {
            "error_code": error_code,
            "detailed_error_code": detailed_error_code,
            "detailed_error_description": description,
        }


def _unexpected(name: str) -> _Refusal:
    return _Refusal(400, "INVALID_REQUEST_DATA", "40213", f"{name} contains unexpected data")


def _missing(name: str) -> _Refusal:
    return _Refusal(
        400,
        "MANDATORY_DATA_MISSING",
        "40005",
        f"Request expects the following fields : {name}",
    )


_INVALID_TOKEN = (401, "NOT_AUTHENTICATED", "40001", "Invalid access token")


class Faults(FaultScript):
    """Misbehaviour on demand (hl_d365_assets/fault_script.py). ``path`` restricts a fault to one
    path (``/ucp/transactions``); by default it hits any request, the token request included
    (except :meth:`reject_tokens`)."""

    def reject_tokens(self, times: int | None = None, path: str | None = None) -> None:
        """401 NOT_AUTHENTICATED for data requests whatever their token (never the token call)."""
        self._add(Fault("reject_token", times, path))

    def matches(self, fault: Fault, path: str, **request: object) -> bool:
        if fault.kind == "reject_token" and path == TOKEN_PATH:
            return False
        return super().matches(fault, path)


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class HeartlandSimulator:
    """GP-API over the sandbox's landed data; a WSGI application (``sim(environ, start)``)."""

    def __init__(
        self,
        landing_root: Path | str | LandingZone | None = None,
        *,
        app_id: str = SANDBOX_APP_ID,
        app_key: str = SANDBOX_APP_KEY,
        token_ttl_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
        app_name: str = "hl-d365 sandbox",
        merchant_name: str = "HL D365 Sandbox Retail",
        payments_state: Path | None = None,
    ) -> None:
        """``token_ttl_seconds``: when set, every token lives this long whatever the request
        asked; otherwise the requested ``seconds_to_expire``, else 600 s. ``clock`` (epoch
        seconds) decides token expiry, ``time_created`` and the default range start.
        ``payments_state``: the file the payment desk's links and charges survive a restart in."""
        self.app_id = app_id
        self._app_key = app_key
        self.token_ttl_seconds = token_ttl_seconds
        self.clock = clock
        self.app_name = app_name
        self.merchant_name = merchant_name
        self.merchant_id = "MER_" + _digest(app_id, "MER")
        self.faults = Faults()
        self.requests: Counter[str] = Counter()
        self.log: deque[ServedRequest] = deque(maxlen=100_000)
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._db = duckdb.connect()
        self._db.execute("SET GLOBAL TimeZone = 'UTC'")  # for every cursor
        for listing in LISTINGS.values():
            self._db.execute(
                sql_statement("heartland_simulator/create_listing", table=listing.table)
            )
        self._created: dict[str, dict] = {}
        """Report rows of the transactions the payment desk created, kept across reloads."""
        self._closed: dict[str, dict] = {}
        """Batches the payment desk's end-of-day close closed, kept across reloads."""
        self.payments = PaymentDesk(
            app_id=app_id,
            app_name=app_name,
            app_key=app_key,
            account_id=f"TRA_{_digest(app_id, 'TRA')}",
            account_name=ACCOUNT_NAMES["TRA"],
            clock=clock,
            on_transaction=self._add_created_transaction,
            on_batch=self._add_closed_batch,
            state_path=payments_state,
        )
        if landing_root is not None:
            self.load_landing(landing_root)

    # -- data ---------------------------------------------------------------------------------

    def load_landing(self, landing_root: Path | str | LandingZone) -> dict[str, int]:
        """(Re)load every landed day; returns resources served per listing array key."""
        zone = (
            landing_root
            if isinstance(landing_root, LandingZone)
            else LandingZone(Path(landing_root))
        )
        counts = {}
        for listing in LISTINGS.values():
            files = [
                str(path)
                for day in zone.business_dates("heartland", listing.source_entity)
                for path in zone.segments("heartland", listing.source_entity, day)
            ]
            with self._lock, self._db.cursor() as cursor:
                if files:
                    cursor.execute(
                        sql_statement(
                            "heartland_simulator/create_latest_states", table=listing.table
                        ),
                        {"files": files, "closed_only": listing.table == "batches"},
                    )
                else:
                    cursor.execute(
                        sql_statement("heartland_simulator/create_listing", table=listing.table)
                    )
                if listing.table == "transactions":
                    self._insert_created(cursor, list(self._created.values()))
                if listing.table == "batches":
                    self._insert_closed(cursor, list(self._closed.values()))
                counts[listing.array_key] = cursor.execute(
                    f"SELECT count(*) FROM {listing.table}"
                ).fetchone()[0]
        return counts

    def _add_created_transaction(self, transaction: dict, row: dict) -> None:
        """A transaction the payment desk created joins the listing of its UTC day."""
        with self._lock, self._db.cursor() as cursor:
            self._created[row["id"]] = row
            self._insert_created(cursor, [row])

    def _add_closed_batch(self, batch: dict) -> None:
        """A batch the payment desk's end-of-day close closed joins the batch listing."""
        with self._lock, self._db.cursor() as cursor:
            self._closed[batch["id"]] = batch
            self._insert_closed(cursor, [batch])

    @staticmethod
    def _insert_closed(cursor: duckdb.DuckDBPyConnection, batches: list[dict]) -> None:
        for batch in batches:
            cursor.execute("DELETE FROM batches WHERE id = $id", {"id": batch["id"]})
            cursor.execute(
                "INSERT INTO batches SELECT $id, $time::TIMESTAMPTZ, "
                "CAST($time::TIMESTAMPTZ AT TIME ZONE 'UTC' AS DATE), NULL, $status, $payload",
                {
                    "id": batch["id"],
                    "time": batch["time_created"],
                    "status": batch["status"],
                    "payload": _compact(batch).decode(),
                },
            )

    @staticmethod
    def _insert_created(cursor: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
        for row in rows:
            cursor.execute("DELETE FROM transactions WHERE id = $id", {"id": row["id"]})
            cursor.execute(
                "INSERT INTO transactions SELECT $id, $time::TIMESTAMPTZ, "
                "CAST($time::TIMESTAMPTZ AT TIME ZONE 'UTC' AS DATE), $type, $status, $payload",
                {
                    "id": row["id"],
                    "time": row["time_created"],
                    "type": row["type"],
                    "status": row["status"],
                    "payload": _compact(row).decode(),
                },
            )

    def close(self) -> None:
        """Close the in-memory database the listings are served from (the server stopped first)."""
        with self._lock:
            self._db.close()

    # -- tokens -------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the next data request gets a 401)."""
        with self._lock:
            self._tokens.clear()

    def _issue_token(self, seconds: float) -> str:
        token = secrets.token_urlsafe(21)
        with self._lock:
            now = self.clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + seconds
        return token

    def _token_valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
            return expires is not None and self.clock() < expires

    # -- in process and WSGI ------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport serving this simulator in process (no sockets, no timeouts)."""
        return InProcessTransport(app=self)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        with self._lock:
            self.requests[path] += 1
        fault, released = self.faults.take(path)
        try:
            answer = self._faulted(fault, released) if fault is not None else None
            if answer is None:
                answer = self._answer(method, path, query, environ)
            if fault is not None and fault.kind == "slow":
                released.wait(fault.seconds)  # handled (a write applied), the answer held
        except ConnectionDropped:
            self._record(method, path, query, None)
            raise
        self._record(method, path, query, answer.status)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(answer.body))),
            *answer.headers,
        ]
        start_response(f"{answer.status} {_REASONS.get(answer.status, 'Error')}", headers)
        return [answer.body]

    def _record(self, method: str, path: str, query: str, status: int | None) -> None:
        with self._lock:
            self.log.append(ServedRequest(method, path, query, status))

    def _faulted(self, fault: Fault, released: threading.Event) -> _Answer | None:
        if fault.kind == "drop":
            raise ConnectionDropped(f"fault: connection dropped ({fault.path or 'any path'})")
        if fault.kind == "slow":
            return None
        if fault.kind == "reject_token":
            return _error_answer(_Refusal(*_INVALID_TOKEN))
        error_code = "TOO_MANY_REQUESTS" if fault.status == 429 else "SYSTEM_ERROR"
        answer = _error_answer(
            _Refusal(
                fault.status, error_code, str(fault.status * 100), f"fault: {fault.kind} scripted"
            )
        )
        if fault.retry_after is not None:
            value = fault.retry_after
            answer.headers.append(
                ("Retry-After", value if isinstance(value, str) else f"{value:g}")
            )
        return answer

    def _answer(self, method: str, path: str, query: str, environ: dict) -> _Answer:
        try:
            if path.startswith(CONTROL_PREFIX):
                return _Answer(*self.payments.control(method, path, _read_body(environ)))
            version = environ.get("HTTP_X_GP_VERSION")
            if not version:
                raise _missing("X-GP-Version")
            if version not in SUPPORTED_VERSIONS:
                raise _unexpected("X-GP-Version")
            if path == TOKEN_PATH and method == "POST":
                return self._access_token(_read_body(environ))
            authorization = environ.get("HTTP_AUTHORIZATION", "")
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not self._token_valid(token.strip()):
                raise _Refusal(*_INVALID_TOKEN)
            if self.payments.serves(method, path):
                return _Answer(
                    *self.payments.answer(method, path, query, _read_body(environ), environ)
                )
            if method == "GET" and path.startswith(f"{BASE_PATH}/transactions/"):
                return self._transaction(path)
            listing = LISTINGS.get(path)
            if listing is None or method != "GET":
                raise _Refusal(
                    404, "RESOURCE_NOT_FOUND", "40118", f"Resource not found at this {path}"
                )
            return self._list(listing, query)
        except _Refusal as refusal:
            return _error_answer(refusal)

    def _access_token(self, body: bytes) -> _Answer:
        try:
            request = json.loads(body or b"null")
        except ValueError:
            raise _unexpected("request body") from None
        if not isinstance(request, dict):
            raise _unexpected("request body")
        for name in ("app_id", "nonce", "secret", "grant_type"):
            if not isinstance(request.get(name), str) or not request[name]:
                raise _missing(name)
        if request["grant_type"] != "client_credentials":
            raise _unexpected("grant_type")
        requested = request.get("seconds_to_expire")
        if requested is not None and (
            isinstance(requested, bool)
            or not isinstance(requested, int)
            or not MIN_TOKEN_SECONDS <= requested <= MAX_TOKEN_SECONDS
        ):
            raise _unexpected("seconds_to_expire")
        if not hmac.compare_digest(request["app_id"], self.app_id):
            raise _Refusal(403, "ACTION_NOT_AUTHORIZED", "40004", "App credentials not recognized")
        expected = hashlib.sha512((request["nonce"] + self._app_key).encode()).hexdigest()
        if not hmac.compare_digest(request["secret"], expected):
            raise _Refusal(
                403,
                "ACTION_NOT_AUTHORIZED",
                "40004",
                "Credentials not recognized to create access token.",
            )
        seconds = self.token_ttl_seconds or requested or DEFAULT_TOKEN_SECONDS
        token = self._issue_token(seconds)
        response = {
            "token": token,
            "type": "Bearer",
            "app_id": self.app_id,
            "app_name": self.app_name,
            "time_created": _utc_millis(self.clock()),
            "seconds_to_expire": int(seconds),
            "email": "sandbox@hl-d365.invalid",
            "scope": {
                "merchant_id": self.merchant_id,
                "merchant_name": self.merchant_name,
                "accounts": [
                    {"id": f"{prefix}_{_digest(self.app_id, prefix)}", "name": name}
                    for prefix, name in ACCOUNT_NAMES.items()
                ],
            },
        }
        return _Answer(200, _compact(response))

    def _list(self, listing: _Listing, query: str) -> _Answer:
        params = _single_values(query)
        unexpected = sorted(set(params) - LIST_PARAMETERS)
        if unexpected:
            raise _Refusal(
                400,
                "INVALID_REQUEST_DATA",
                "40043",
                f"Request contains unexpected fields: {','.join(unexpected)}",
            )
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        from_date = _date_param(
            params, "from_time_created", today - timedelta(DEFAULT_LOOKBACK_DAYS)
        )
        to_date = _date_param(params, "to_time_created", date.max)
        if from_date > to_date:
            raise _Refusal(
                400,
                "INVALID_REQUEST_DATA",
                "40213",
                "from_time_created is later than to_time_created",
            )
        page = _int_param(params, "page", 1, 1, None)
        page_size = _int_param(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        order = params.get("order", "ASC")
        if order not in ("ASC", "DESC"):
            raise _unexpected("order")
        order_by = params.get("order_by", "TIME_CREATED")
        if order_by not in listing.order_by:
            raise _unexpected("order_by")
        columns = listing.order_by[order_by]
        order_sql = ", ".join(f"{column} {order} NULLS LAST" for column in columns)
        page_order_sql = ", ".join(f"page.{column} {order} NULLS LAST" for column in columns)
        with self._lock:
            cursor = self._db.cursor()
        with cursor:
            total, size, items = cursor.execute(
                _SELECT_PAGE.format(
                    table=listing.table,
                    order=order_sql,
                    page_order=page_order_sql,
                ),
                {
                    "from_date": from_date,
                    "to_date": to_date,
                    "page_size": page_size,
                    "offset": (page - 1) * page_size,
                    "reference": params.get("reference"),
                },
            ).fetchone()
        head = _compact(
            {
                "total_record_count": total,
                "current_page_size": size,
                "paging": {
                    "page": page,
                    "page_size": page_size,
                    "order": order,
                    "order_by": order_by,
                },
            }
        )
        return _Answer(200, head[:-1] + f',"{listing.array_key}":[{items}]}}'.encode())

    def _transaction(self, path: str) -> _Answer:
        transaction_id = path.rsplit("/", 1)[1]
        created = self.payments.transactions.get(transaction_id)
        if created is not None:
            return _Answer(200, _compact(created))
        with self._lock:
            cursor = self._db.cursor()
        with cursor:
            found = cursor.execute(
                "SELECT payload FROM transactions WHERE id = $id", {"id": transaction_id}
            ).fetchone()
        if found is None:
            raise _Refusal(
                404,
                "RESOURCE_NOT_FOUND",
                "40118",
                f"Transactions {transaction_id} not found at this {path}",
            )
        return _Answer(200, found[0].encode())


# -- the real server ----------------------------------------------------------------------------


class SimulatorServer(LoopbackServer):
    """A running loopback server; ``base_url`` is what a client's ``base_url`` is set to."""

    def __init__(self, sim: HeartlandSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = sim
        super().__init__(sim, "heartland-simulator", host, port, on_stop=sim.faults.release_slow)
        self.base_url = self.url + BASE_PATH


def serve(sim: HeartlandSimulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Serve ``sim`` over real HTTP/1.1 (keep-alive, one thread per connection) until stopped."""
    return SimulatorServer(sim, host, port)


# -- helpers ------------------------------------------------------------------------------------


def _error_answer(refusal: _Refusal) -> _Answer:
    return _Answer(refusal.status, _compact(refusal.body))


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _read_body(environ: dict) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _single_values(query: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _date_param(params: dict[str, str], name: str, default: date) -> date:
    value = params.get(name)
    if value is None:
        return default
    if not ISO_DATE.match(value):
        raise _unexpected(name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _unexpected(name) from None


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        raise _unexpected(name)
    return int(value)


def _digest(app_id: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{app_id}".encode()).hexdigest()[:32]


def _utc_millis(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(argv: list[str] | None = None) -> None:
    from hl_d365_assets.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, default=load_settings().landing_dir)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--payments-state", type=Path, help="file keeping payment links and charges (JSON)"
    )
    args = parser.parse_args(argv)
    sim = HeartlandSimulator(payments_state=args.payments_state)
    counts = sim.load_landing(args.landing)
    with serve(sim, args.host, args.port) as server:
        print(
            f"Heartland simulator at {server.base_url} serving {counts} from {args.landing}; "
            f"app id {sim.app_id!r} (sandbox credentials). Ctrl-C stops it.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
