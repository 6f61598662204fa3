"""A local stand-in for D365 Finance's OData service and for the Entra ID token endpoint.

One WSGI application, used two ways: in process through :meth:`D365Simulator.transport` (an
``httpx`` transport; msal reaches it through the client's ``http_client`` adapter) and as a
threaded HTTP server on loopback through :func:`~hl_d365_assets.sandbox.d365_simulator.server.serve`.
Paths:

- ``GET /<tenant>/v2.0/.well-known/openid-configuration`` and
  ``POST /<tenant>/oauth2/v2.0/token`` — Entra ID (client credentials: secret or certificate);
- ``/data/<EntitySet>``, ``/data/<EntitySet>(<key>)``, ``/data/<EntitySet>/$count`` and
  ``POST /data/$batch`` — the OData service root;
- ``/_simulator/...`` — the simulator's own admin paths, no part of D365 (``admin.py``): move a
  sales order through its states, activate business events, the Errors tab and its Resend.

What it serves and where it departs from D365 is in docs/d365_simulator.md; the facts it follows
are in shared/reference/d365-odata.md. State (journals, number sequences, the seed) is an SQLite
file when ``state_path`` is given, so a restarted simulator sees earlier journals.
"""

import contextlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import httpx

from hl_d365_assets.d365 import batch as wire
from hl_d365_assets.d365.auth import DEFAULT_AUTHORITY_HOST
from hl_d365_assets.sandbox.d365_simulator.admin import ADMIN_PREFIX, admin_answer
from hl_d365_assets.sandbox.d365_simulator.business_events import BusinessEvents
from hl_d365_assets.sandbox.d365_simulator.entities import (
    ENTITY_SETS,
    JOURNAL_HEADER_SETS,
    LEDGER_JOURNAL_HEADERS,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    EntitySet,
    ValueRefused,
    coerce,
    key_of,
)
from hl_d365_assets.sandbox.d365_simulator.faults import Fault, Faults
from hl_d365_assets.sandbox.d365_simulator.on_hand import OnHand
from hl_d365_assets.sandbox.d365_simulator.query import (
    QueryRefused,
    parse_filter,
    parse_orderby,
    parse_select,
    sort_rows,
)
from hl_d365_assets.sandbox.d365_simulator.sales_orders import OrderRefused, SalesOrders
from hl_d365_assets.sandbox.d365_simulator.seed import SEED_DIR, load_seed
from hl_d365_assets.sandbox.d365_simulator.store import StateStore
from hl_d365_assets.sandbox.d365_simulator.validation import (
    DEFAULT_SEGMENTS,
    Ledger,
    LedgerSetup,
    PostingRefused,
    RecordMissing,
    WriteRefused,
)
from hl_d365_assets.sandbox.in_process import InProcessTransport
from hl_d365_assets.sandbox.loopback import ConnectionDropped, ServedRequest

logger = logging.getLogger(__name__)

SANDBOX_TENANT_ID = "hl-d365-sandbox.onmicrosoft.com"
SANDBOX_CLIENT_ID = "hl-d365-sandbox-client"
SANDBOX_CLIENT_SECRET = "hl-d365-sandbox-secret-not-a-secret"
SANDBOX_ENVIRONMENT_URL = "https://hl-d365-sandbox.operations.dynamics.com"
"""The sandbox's documented identity: they open only this simulator."""

DEFAULT_PAGE_SIZE = 10_000
DEFAULT_TOKEN_SECONDS = 3599
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
THROTTLED_MESSAGE = (
    "This request could not be processed at this time due to system experiencing high "
    "resource utilization."
)
"""A service-protection message quoted in L-SPL; the 429 envelope itself is undocumented."""

_OPENID = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
_RESOURCE = re.compile(r"^/data/([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?(/\$count)?/?$")
_KEY_PART = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(?:,|$)")


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON_TYPE


class _Refusal(Exception):
    """An OData error answer (not a write failure)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Client:
    secret: str | None = None
    certificate_thumbprint: str | None = None
    public_key_pem: bytes | None = None


class D365Simulator:
    """D365 Finance OData and Entra ID on one WSGI application (``sim(environ, start)``)."""

    def __init__(
        self,
        state_path: Path | str | None = None,
        *,
        tenant_id: str = SANDBOX_TENANT_ID,
        client_id: str | None = SANDBOX_CLIENT_ID,
        client_secret: str | None = SANDBOX_CLIENT_SECRET,
        environment_url: str | None = None,
        companies: dict[str, str] | None = None,
        default_company: str = "usrt",
        closed_periods: Iterable[tuple[str, str]] = (),
        segments: tuple[str, ...] = DEFAULT_SEGMENTS,
        page_size: int = DEFAULT_PAGE_SIZE,
        token_ttl_seconds: float = DEFAULT_TOKEN_SECONDS,
        write_error_status: int = 400,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        clock: Callable[[], float] = time.time,
        seed_dir: Path = SEED_DIR,
    ) -> None:
        """``environment_url``: when set, a token's scope must be ``<it>/.default`` (else any
        ``.default`` scope is accepted). ``write_error_status``: D365 has answered write
        failures with 400 and, inside changesets, 500 (the reference, section 3).
        ``segments``: the financial dimension order for integrating applications, in which
        ledger ``AccountDisplayValue``s are read (main account first).
        ``authority_host`` is where the OpenID configuration says the token endpoint is —
        msal insists on https, so it stays the real host and the client routes to us."""
        self.tenant_id = tenant_id
        self.environment_url = environment_url.rstrip("/") if environment_url else None
        self.page_size = page_size
        self.token_ttl_seconds = token_ttl_seconds
        self.write_error_status = write_error_status
        self.authority_host = authority_host.rstrip("/")
        self.clock = clock
        self.latency_seconds = 0.0
        """Added to every request (outside any lock), for benchmarks."""
        self.faults = Faults()
        self.requests: Counter[str] = Counter()
        """Requests received by ``"METHOD /path"``, faults included."""
        self.batch_operations = 0
        """Operations received inside ``$batch`` requests."""
        self.log: deque[ServedRequest] = deque(maxlen=100_000)
        self._clients: dict[str, _Client] = {}
        if client_id:
            self.register_client(client_id, secret=client_secret)
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._seed_dir = seed_dir
        self.store = StateStore(state_path)
        self.ledger = Ledger(
            self.store,
            LedgerSetup(
                companies=dict(companies or {"usrt": "USD", "dat": "USD"}),
                default_company=default_company,
                segments=tuple(segments),
                closed_periods={(c.lower(), month) for c, month in closed_periods},
            ),
        )
        if self.store.setting("seeded") is None:
            load_seed(self.store, seed_dir)
        self.business_events = BusinessEvents(self.store, clock=clock)
        """Activations, the sending thread and the Errors tab (``business_events.py``)."""
        self.sales_orders = SalesOrders(self.store, self.business_events, self._now_iso)
        self.on_hand = OnHand(self.store)
        """The simulator's own stock movements (not D365 APIs): see its module."""

    # -- set-up -------------------------------------------------------------------------------

    def register_client(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        certificate_pem: bytes | str | None = None,
    ) -> None:
        """An app registration that may get tokens: by secret, or by a certificate whose
        private key signs msal's client assertion (matched on its SHA-1 thumbprint, ``x5t``)."""
        client = _Client(secret=secret)
        if certificate_pem is not None:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization

            pem = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
            certificate = x509.load_pem_x509_certificate(pem)
            client.certificate_thumbprint = certificate.fingerprint(hashes.SHA1()).hex()
            client.public_key_pem = certificate.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        self._clients[client_id] = client

    def close_period(self, company: str, month: str) -> None:
        """Close the ledger period ``YYYY-MM`` of ``company`` (lines dated in it are refused)."""
        self.ledger.setup.closed_periods.add((company.lower(), month))

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the next OData request gets a 401)."""
        with self._lock:
            self._tokens.clear()

    def reset(self) -> None:
        """Back to the seed: no journals, sequences restarted, counters and faults cleared."""
        self.store.clear()
        load_seed(self.store, self._seed_dir)
        self.faults.clear()
        with self._lock:
            self.requests.clear()
            self.log.clear()
            self.batch_operations = 0
            self._tokens.clear()

    def close(self) -> None:
        self.faults.release_slow()
        self.business_events.close()
        self.store.close()

    def _now_iso(self) -> str:
        moment = datetime.fromtimestamp(self.clock(), UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    # -- inspection ---------------------------------------------------------------------------

    def journals(
        self, company: str | None = None, header_set: str = LEDGER_JOURNAL_HEADERS.name
    ) -> list[dict]:
        """The journals of ``header_set`` (optionally of one company), each with ``"lines"``."""
        line_set = next(e.name for e in ENTITY_SETS.values() if e.parent == header_set)
        journals = []
        for header in self.store.rows(header_set, company=company.lower() if company else None):
            journal = self.ledger.journal_totals(header_set, header)
            journal["lines"] = self.store.rows(
                line_set, company=header["dataAreaId"], journal=header["JournalBatchNumber"]
            )
            journals.append(journal)
        return journals

    def validate_journal(
        self, company: str, journal_batch_number: str, header_set: str = LEDGER_JOURNAL_HEADERS.name
    ) -> list[str]:
        """What posting would refuse (empty when the journal would post)."""
        return self.ledger.validate_journal(header_set, company.lower(), journal_batch_number)

    def post_journal(
        self, company: str, journal_batch_number: str, header_set: str = LEDGER_JOURNAL_HEADERS.name
    ) -> dict:
        """Post a journal as D365's *Post* does: every voucher must balance. Raises
        :class:`~hl_d365_assets.sandbox.d365_simulator.validation.PostingRefused` with the problems."""
        with self.store.transaction():
            return self.ledger.post_journal(header_set, company.lower(), journal_batch_number)

    def request_count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests received, optionally of one method and/or one path (or ``/prefix/``)."""
        total = 0
        with self._lock:
            for name, count in self.requests.items():
                request_method, _, request_path = name.partition(" ")
                if method and request_method != method:
                    continue
                if path and not (
                    request_path == path or (path.endswith("/") and request_path.startswith(path))
                ):
                    continue
                total += count
        return total

    # -- in process and WSGI ------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport serving this simulator in process (no sockets, no timeouts)."""
        return InProcessTransport(app=self)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        identity = not path.startswith("/data")
        with self._lock:
            self.requests[f"{method} {path}"] += 1
        fault, released = self.faults.take(path, identity=identity)
        operations: list[int] = [0]
        try:
            if fault is not None and fault.kind == "drop":
                raise ConnectionDropped(f"fault: connection dropped ({path})")
            if fault is not None and fault.kind == "stall":
                released.wait(fault.seconds)
                raise ConnectionDropped(f"fault: request stalled and dropped unhandled ({path})")
            answer = self._faulted(fault, identity) if fault is not None else None
            if answer is None:
                answer = self._answer(method, path, query, environ, operations)
            if fault is not None and fault.kind == "slow":
                released.wait(fault.seconds)
        except ConnectionDropped:
            self._record(method, path, query, None, operations[0])
            raise
        self._record(method, path, query, answer.status, operations[0])
        headers = [
            ("Content-Type", answer.content_type),
            ("Content-Length", str(len(answer.body))),
            ("OData-Version", "4.0"),
            *answer.headers,
        ]
        start_response(f"{answer.status} {_reason(answer.status)}", headers)
        return [answer.body]

    def _record(self, method: str, path: str, query: str, status: int | None, ops: int) -> None:
        with self._lock:
            self.log.append(ServedRequest(method, path, query, status, ops))

    def _faulted(self, fault: Fault, identity: bool) -> _Answer | None:
        if fault.kind in ("slow", "stall"):
            return None
        if fault.kind == "reject_token":
            return _unauthorized()
        if fault.kind == "token_down":
            return _Answer(
                fault.status,
                wire.dumps(
                    {
                        "error": "temporarily_unavailable",
                        "error_description": "AADSTS90033: A transient error has occurred. "
                        "Please try again. (fault injected)",
                    }
                ),
                content_type="application/json; charset=utf-8",
            )
        message = THROTTLED_MESSAGE if fault.status == 429 else f"fault: {fault.kind} scripted"
        answer = _odata_error(fault.status, message)
        if fault.retry_after is not None:
            value = fault.retry_after
            answer.headers.append(
                ("Retry-After", value if isinstance(value, str) else f"{value:g}")
            )
        return answer

    def _answer(
        self, method: str, path: str, query: str, environ: dict, operations: list[int]
    ) -> _Answer:
        if (match := _OPENID.match(path)) and method == "GET":
            return self._openid_configuration(match.group(1))
        if (match := _TOKEN.match(path)) and method == "POST":
            return self._issue_token(match.group(1), _read_body(environ))
        if path.startswith(ADMIN_PREFIX):
            status, document = admin_answer(self, method, path, _read_body(environ))
            return _json(status, document)
        if not path.startswith("/data"):
            return _odata_error(404, f"No resource at {path}.")
        if not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return _unauthorized()
        root = f"{environ.get('wsgi.url_scheme', 'https')}://{environ.get('HTTP_HOST', 'localhost')}/data/"
        body = _read_body(environ)
        if path == "/data/$batch":
            if method != "POST":
                return _odata_error(405, "The $batch endpoint takes POST.")
            return self._batch(environ.get("CONTENT_TYPE", ""), body, root, operations)
        prefer = environ.get("HTTP_PREFER", "")
        return self._odata(method, path, query, body, root, prefer)

    # -- Entra ID -----------------------------------------------------------------------------

    def _openid_configuration(self, tenant: str) -> _Answer:
        if tenant != self.tenant_id:
            return _entra_error(400, "invalid_tenant", _tenant_not_found(tenant))
        base = f"{self.authority_host}/{tenant}"
        return _Answer(
            200,
            wire.dumps(
                {
                    "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                        "client_secret_basic",
                    ],
                    "response_types_supported": ["code", "id_token", "token"],
                    "tenant_region_scope": "NA",
                }
            ),
            content_type="application/json; charset=utf-8",
        )

    def _issue_token(self, tenant: str, body: bytes) -> _Answer:
        form = {name: values[-1] for name, values in parse_qs(body.decode()).items()}
        if tenant != self.tenant_id:
            return _entra_error(400, "invalid_request", _tenant_not_found(tenant))
        if form.get("grant_type") != "client_credentials":
            return _entra_error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type "
                f"'{form.get('grant_type', '')}'.",
            )
        client_id = form.get("client_id", "")
        client = self._clients.get(client_id)
        if client is None:
            return _entra_error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in "
                f"the directory '{tenant}'.",
            )
        refusal = self._check_credential(client_id, client, form)
        if refusal is not None:
            return refusal
        scope = form.get("scope", "")
        resource = scope.removesuffix("/.default")
        if not scope.endswith("/.default") or (
            self.environment_url and resource.rstrip("/") != self.environment_url
        ):
            return _entra_error(
                400,
                "invalid_scope" if not scope.endswith("/.default") else "invalid_resource",
                f"AADSTS500011: The resource principal named {resource} was not found in the "
                f"tenant named {tenant}.",
            )
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._tokens = {t: expiry for t, expiry in self._tokens.items() if expiry > now}
            self._tokens[token] = now + self.token_ttl_seconds
        seconds = int(self.token_ttl_seconds)
        return _Answer(
            200,
            wire.dumps(
                {
                    "token_type": "Bearer",
                    "expires_in": seconds,
                    "ext_expires_in": seconds,
                    "access_token": token,
                }
            ),
            content_type="application/json; charset=utf-8",
        )

    def _check_credential(self, client_id: str, client: _Client, form: dict) -> _Answer | None:
        if "client_secret" in form:
            if client.secret is None or not hmac.compare_digest(
                form["client_secret"], client.secret
            ):
                return _entra_error(
                    401,
                    "invalid_client",
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                    "in the request is the client secret value, not the client secret ID, for a "
                    f"secret added to app '{client_id}'.",
                )
            return None
        assertion = form.get("client_assertion")
        if not assertion:
            return _entra_error(
                401,
                "invalid_client",
                "AADSTS7000218: The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.",
            )
        import jwt

        try:
            header = jwt.get_unverified_header(assertion)
            thumbprint = _x5t_hex(header.get("x5t", ""))
            if client.public_key_pem is None or thumbprint != client.certificate_thumbprint:
                raise jwt.InvalidTokenError("unknown certificate")
            claims = jwt.decode(
                assertion,
                client.public_key_pem,
                algorithms=["RS256", "PS256"],
                options={"verify_aud": False},
            )
            if claims.get("iss") != client_id or claims.get("sub") != client_id:
                raise jwt.InvalidTokenError("issuer and subject must be the client id")
        except jwt.PyJWTError:
            return _entra_error(
                401,
                "invalid_client",
                "AADSTS700027: Client assertion failed signature validation or names a "
                f"certificate not registered for app '{client_id}'.",
            )
        return None

    def _authorized(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        with self._lock:
            expiry = self._tokens.get(token.strip())
            return expiry is not None and self.clock() < expiry

    # -- OData --------------------------------------------------------------------------------

    def _odata(
        self, method: str, path: str, query: str, body: bytes, root: str, prefer: str
    ) -> _Answer:
        if path in ("/data", "/data/"):
            return _json(200, {
                "@odata.context": f"{root}$metadata",
                "value": [{"name": n, "kind": "EntitySet", "url": n} for n in ENTITY_SETS],
            })  # fmt: skip
        match = _RESOURCE.match(path)
        entity = ENTITY_SETS.get(match.group(1)) if match else None
        if match is None or entity is None:
            segment = path.removeprefix("/data/").split("(")[0].split("/")[0]
            return _odata_error(404, f"Resource not found for the segment '{segment}'.")
        key_text, count_only = match.group(2), match.group(3)
        params = _query_params(query)
        try:
            if key_text is not None:
                key = self._parse_key(entity, key_text)
                if method == "GET":
                    row = self._read_one(entity, key)
                    return _json(
                        200, {"@odata.context": f"{root}$metadata#{entity.name}/$entity", **row}
                    )
                if method in ("PATCH", "PUT", "MERGE"):
                    with self.store.transaction():
                        self.ledger.update(entity, key, _json_body(body))
                    return _Answer(204)
                if method == "DELETE":
                    with self.store.transaction():
                        self.ledger.delete(entity, key)
                    return _Answer(204)
                return _odata_error(405, f"{method} is not allowed on an entity.")
            if method == "GET":
                return self._read(
                    entity, params, root, prefer, count_only=bool(count_only), path=path
                )
            if method == "POST" and not count_only:
                with self.store.transaction():
                    row = self._create(entity, _json_body(body))
                location = f"{root}{entity.name}({_key_segment(entity, row)})"
                return _json(
                    201,
                    {
                        "@odata.context": f"{root}$metadata#{entity.name}/$entity",
                        **self._shaped(entity, row),
                    },
                    headers=[("Location", location)],
                )
            return _odata_error(405, f"{method} is not allowed on {entity.name}.")
        except WriteRefused as refusal:
            return _json(self.write_error_status, refusal.body())
        except RecordMissing:
            return _odata_error(404, f"Resource not found for the segment '{entity.name}'.")
        except (QueryRefused, ValueRefused) as refusal:
            return _odata_error(400, str(refusal))
        except _Refusal as refusal:
            return _odata_error(refusal.status, refusal.message)

    def _create(self, entity: EntitySet, body: dict) -> dict:
        """Sales orders and their lines by ``sales_orders.py``; every other set by the ledger."""
        if entity not in (SALES_ORDER_HEADERS, SALES_ORDER_LINES):
            return self.ledger.create(entity, body)
        row = self.ledger._typed(entity, body)
        company = self.ledger.company_of(entity, row)
        try:
            if entity is SALES_ORDER_HEADERS:
                return self.sales_orders.create_header(company, row)
            return self.sales_orders.create_line(company, row)
        except OrderRefused as refusal:
            raise WriteRefused(refusal.entity, refusal.text) from None

    def _read_one(self, entity: EntitySet, key: tuple) -> dict:
        row = self.store.get(entity.name, key)
        if row is None:
            raise RecordMissing(key)
        return self._shaped(entity, row)

    def _shaped(self, entity: EntitySet, row: dict) -> dict:
        if entity.name in JOURNAL_HEADER_SETS:
            return self.ledger.journal_totals(entity.name, row)
        return row

    def _read(
        self, entity: EntitySet, params: dict[str, str], root: str, prefer: str, *,
        count_only: bool, path: str,
    ) -> _Answer:  # fmt: skip
        unsupported = sorted(
            name for name in params
            if name.startswith("$") and name not in ("$filter", "$select", "$orderby", "$top", "$skip", "$count")
        )  # fmt: skip
        if unsupported:
            raise _Refusal(400, f"The simulator does not serve {', '.join(unsupported)}.")
        cross_company = params.get("cross-company", "").lower() == "true"
        company = (
            None
            if cross_company or not entity.company_specific
            else self.ledger.setup.default_company
        )
        rows = [self._shaped(entity, row) for row in self.store.rows(entity.name, company=company)]
        if "$filter" in params:
            predicate = parse_filter(params["$filter"], entity)
            rows = [row for row in rows if predicate(row)]
        if count_only:
            return _Answer(200, str(len(rows)).encode(), content_type="text/plain; charset=utf-8")
        if "$orderby" in params:
            rows = sort_rows(rows, parse_orderby(params["$orderby"], entity), entity)
        total = len(rows)
        skip = _non_negative(params, "$skip", 0)
        top = _non_negative(params, "$top", None)
        page_size = self.page_size
        preferred = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        headers = []
        if preferred:
            page_size = max(1, min(page_size, int(preferred.group(1))))
            headers.append(("Preference-Applied", f"odata.maxpagesize={page_size}"))
        wanted = rows[skip:] if top is None else rows[skip : skip + top]
        page = wanted[:page_size]
        select = parse_select(params["$select"], entity) if "$select" in params else []
        if select:
            page = [{name: row.get(name) for name in select} for row in page]
        document: dict = {"@odata.context": f"{root}$metadata#{entity.name}"}
        if params.get("$count", "").lower() == "true":
            document["@odata.count"] = total
        document["value"] = page
        if len(wanted) > len(page):
            following = {k: v for k, v in params.items() if k not in ("$skip", "$top")}
            following["$skip"] = str(skip + len(page))
            if top is not None:
                following["$top"] = str(top - len(page))
            encoded = urlencode(following, quote_via=quote, safe="$,'")
            document["@odata.nextLink"] = f"{root}{entity.name}?{encoded}"
        return _json(200, document, headers=headers)

    def _parse_key(self, entity: EntitySet, text: str) -> tuple:
        values: dict[str, object] = {}
        text = text.strip()
        if len(entity.keys) == 1 and "=" not in text:
            values[entity.keys[0]] = _key_literal(text)
        else:
            position = 0
            while position < len(text):
                match = _KEY_PART.match(text, position)
                if not match:
                    raise _Refusal(400, f"The key '{text}' is not valid for {entity.name}.")
                values[match.group(1)] = _key_literal(match.group(2).strip())
                position = match.end()
        if set(values) != set(entity.keys):
            raise _Refusal(
                400,
                f"The number of keys specified in the URI does not match number of key "
                f"properties for the resource '{entity.qualified_type}'.",
            )
        return key_of(entity, {name: coerce(entity, name, value) for name, value in values.items()})

    # -- $batch -------------------------------------------------------------------------------

    def _batch(self, content_type: str, body: bytes, root: str, operations: list[int]) -> _Answer:
        try:
            items = wire.decode_batch_request(content_type, body)
        except wire.BatchFormatError as exc:
            return _odata_error(400, f"The batch request is not valid: {exc}")
        answers: list[wire.BatchResponseItem] = []
        for item in items:
            if isinstance(item, wire.Changeset):
                operations[0] += len(item.requests)
                answers.append(self._changeset(item, root))
            else:
                operations[0] += 1
                answers.append(self._batch_operation(item, root))
        with self._lock:
            self.batch_operations += operations[0]
        response_type, response_body = wire.encode_batch_response(answers)
        return _Answer(200, response_body, content_type=response_type)

    def _changeset(self, changeset: wire.Changeset, root: str) -> wire.ChangesetResponse:
        """All operations in one transaction; the first failure rolls back all and is the
        changeset's only answer (D365 wraps it in a changeset response)."""
        rejection = self.faults.take_changeset_rejection()
        responses = []

        class _RolledBack(Exception):
            pass

        failure: wire.BatchResponse | None = None
        try:
            with self.store.transaction():
                for position, request in enumerate(changeset.requests, start=1):
                    if rejection is not None and position == rejection.operation:
                        entity = self._entity_of(request.url)
                        refusal = WriteRefused(entity or LEDGER_JOURNAL_HEADERS, rejection.message)
                        failure = wire.BatchResponse(
                            self.write_error_status,
                            (("Content-Type", JSON_TYPE),),
                            wire.dumps(refusal.body()),
                            request.content_id,
                        )
                        raise _RolledBack
                    response = self._batch_operation(request, root, in_changeset=True)
                    if response.status >= 400:
                        failure = response
                        raise _RolledBack
                    responses.append(response)
        except _RolledBack:
            assert failure is not None
            return wire.ChangesetResponse((failure,))
        return wire.ChangesetResponse(tuple(responses))

    def _batch_operation(
        self, request: wire.BatchRequest, root: str, in_changeset: bool = False
    ) -> wire.BatchResponse:
        if request.url.startswith("$"):
            answer = _odata_error(
                400, "The simulator does not resolve Content-ID references ($n) in a batch."
            )
        else:
            parts = urlsplit(request.url)
            path = (
                parts.path if parts.path.startswith("/data") else "/data/" + parts.path.lstrip("/")
            )
            if request.method != "GET" and not in_changeset:
                answer = _odata_error(400, "Writes in a batch must be inside a changeset.")
            else:
                answer = self._odata(
                    request.method, unquote(path), parts.query, request.body, root,
                    _header_of(request.headers, "Prefer") or "",
                )  # fmt: skip
        headers = [("Content-Type", answer.content_type), *answer.headers]
        return wire.BatchResponse(answer.status, tuple(headers), answer.body, request.content_id)

    def _entity_of(self, url: str) -> EntitySet | None:
        path = urlsplit(url).path
        name = path.rsplit("/data/", 1)[-1].lstrip("/").split("(")[0].split("/")[0]
        return ENTITY_SETS.get(name)


# -- helpers ------------------------------------------------------------------------------------


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _json(status: int, document: object, headers: list[tuple[str, str]] | None = None) -> _Answer:
    return _Answer(status, wire.dumps(document), headers or [])


def _odata_error(status: int, message: str) -> _Answer:
    return _json(status, {"error": {"code": "", "message": message}})


def _entra_error(status: int, error: str, description: str) -> _Answer:
    trace = secrets.token_hex(4)
    return _Answer(
        status,
        wire.dumps(
            {
                "error": error,
                "error_description": f"{description}\r\nTrace ID: {trace}",
                "error_codes": [int(re.search(r"AADSTS(\d+)", description).group(1))],  # type: ignore[union-attr]
            }
        ),
        content_type="application/json; charset=utf-8",
    )


def _tenant_not_found(tenant: str) -> str:
    return (
        f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct "
        "tenant ID and are signing into the correct cloud."
    )


def _unauthorized() -> _Answer:
    return _Answer(401, b"", [("WWW-Authenticate", 'Bearer error="invalid_token"')])


def _read_body(environ: dict) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _json_body(body: bytes) -> dict:
    try:
        document = wire.loads(body or b"null")
    except ValueError:
        raise _Refusal(400, "The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise _Refusal(400, "The request body must be a JSON object.")
    return document


def _query_params(query: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _non_negative(params: dict[str, str], name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise _Refusal(400, f"Invalid value '{value}' for {name}: a non-negative integer.")
    return int(value)


def _key_literal(text: str) -> object:
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    try:
        return Decimal(text)
    except ArithmeticError:
        raise _Refusal(400, f"'{text}' is not a valid key value.") from None


def _key_segment(entity: EntitySet, row: dict) -> str:
    def literal(value: object) -> str:
        if isinstance(value, Decimal | int):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    return ",".join(f"{name}={literal(row[name])}" for name in entity.keys)


def _header_of(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def _x5t_hex(x5t: str) -> str:
    from base64 import urlsafe_b64decode

    padded = x5t + "=" * (-len(x5t) % 4)
    with contextlib.suppress(ValueError):
        return urlsafe_b64decode(padded).hex()
    return ""


def thumbprint_of(certificate_pem: bytes | str) -> str:
    """The SHA-1 thumbprint (hex) Entra ID shows for a certificate, as msal's ``thumbprint``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    pem = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    return x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA1()).hex()


__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_ENVIRONMENT_URL",
    "SANDBOX_TENANT_ID",
    "ConnectionDropped",
    "D365Simulator",
    "PostingRefused",
    "ServedRequest",
    "thumbprint_of",
]
