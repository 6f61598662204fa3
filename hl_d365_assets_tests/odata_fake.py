"""A second, independent D365 F&O OData service for the tests, written from the reference facts
alone (shared/reference/d365-odata.md), not from the simulator: nothing here imports
``hl_d365_assets.sandbox.d365_simulator`` or the client's wire code.

What it does, and only that (the section of the facts in brackets):

- Entra ID client credentials [5]: ``GET /<tenant>/v2.0/.well-known/openid-configuration`` (what
  msal reads first; the token endpoint it names is on the configured authority host, which the
  client's ``http_client`` routes here) and ``POST /<tenant>/oauth2/v2.0/token`` with
  ``scope=<environment>/.default``; errors as ``{"error", "error_description"}``.
- The journal entity sets [1] with their keys; ``JournalBatchNumber`` from a number sequence on
  create, whatever the client sent [2]; a line must name an existing header [2]; a header with
  lines cannot be deleted [3]; ``AccountDisplayValue`` of a ``Ledger`` line checked segment by
  segment against the chart it is given (row-level validation [2]; the wording is our own, in
  D365's shape [3]).
- Query options ``$filter`` (eq/ne/gt/ge/lt/le/and/or/not, parentheses; ``eq '…*'`` as a
  wildcard when ``wildcards`` is on), ``$orderby``, ``$top``, ``$skip``, ``$select``,
  ``$count`` and ``/$count``; anything else is refused [4]. Only the default company unless
  ``cross-company=true`` [4]. Server-driven paging with a ``$skip``-based ``@odata.nextLink``
  that keeps the other options [4].
- ``$batch`` [4]: multipart/mixed, changesets atomic, the outer answer 200 even when a changeset
  failed, a failed changeset answered by one error part inside a changeset response.
- Errors in D365's body shape, write failures as ``AxODataWriteException`` with a 400 [3].

Switches for tests of a service that is *not* D365: ``wildcards=False`` (``*`` is a literal),
``honour_filter=False`` (``$filter`` ignored), ``entity_sets`` without some set (404),
``description_length`` (a header keeps less of its ``Description``). Test hooks
are Python methods, never HTTP endpoints.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, quote, unquote, urlencode

from hl_d365_assets.sandbox.loopback import ConnectionDropped, LoopbackServer

WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"

JOURNAL_SETS: dict[str, tuple[str, ...]] = {
    "LedgerJournalHeaders": ("dataAreaId", "JournalBatchNumber"),
    "LedgerJournalLines": ("dataAreaId", "JournalBatchNumber", "LineNumber"),
    "CustomerPaymentJournalHeaders": ("dataAreaId", "JournalBatchNumber"),
    "CustomerPaymentJournalLines": ("dataAreaId", "JournalBatchNumber", "LineNumber"),
}
LINES_OF = {
    "LedgerJournalHeaders": "LedgerJournalLines",
    "CustomerPaymentJournalHeaders": "CustomerPaymentJournalLines",
}
AOT_NAME = {
    "LedgerJournalHeaders": "LedgerJournalHeaderEntity",
    "LedgerJournalLines": "LedgerJournalLineEntity",
    "CustomerPaymentJournalHeaders": "LedgerJournalHeaderCustPaymEntity",
    "CustomerPaymentJournalLines": "LedgerJournalLineCustPaymEntity",
}
DATE_FIELD = {"LedgerJournalLines": "TransDate", "CustomerPaymentJournalLines": "TransactionDate"}
QUERY_OPTIONS = {"$filter", "$orderby", "$top", "$skip", "$select", "$count", "cross-company"}


class _Refused(Exception):
    def __init__(self, status: int, message: str, inner: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.inner = status, message, inner


class IndependentOData:
    """The fake as a WSGI application; :meth:`serve` puts it on loopback."""

    def __init__(
        self,
        *,
        tenant_id: str = "contoso.onmicrosoft.com",
        client_id: str = "fake-client",
        client_secret: str = "fake-secret",
        authority_host: str = "https://login.microsoftonline.com",
        default_company: str = "dat",
        main_accounts: Iterable[str] = (),
        dimension_values: Iterable[Iterable[str]] = (),
        page_size: int = 10_000,
        wildcards: bool = True,
        honour_filter: bool = True,
        entity_sets: Iterable[str] = tuple(JOURNAL_SETS),
        description_length: int | None = None,
    ) -> None:
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.authority_host = authority_host.rstrip("/")
        self.default_company = default_company
        self.main_accounts = set(main_accounts)
        self.dimension_values = [set(values) for values in dimension_values]
        """Per segment after the main account, the values it may take."""
        self.page_size, self.wildcards, self.honour_filter = page_size, wildcards, honour_filter
        self.entity_sets = {name: JOURNAL_SETS[name] for name in entity_sets}
        self.description_length = description_length
        """Set: headers keep only this many characters of ``Description`` (not D365's 60)."""
        self.environment_url = ""
        self.rows: dict[str, dict[tuple, dict]] = {name: {} for name in JOURNAL_SETS}
        self._numbers = 0
        self._tokens: set[str] = set()
        self._lock = threading.RLock()
        self.requests: list[tuple[str, str, str, int | None]] = []
        """(method, path, query, status) of every request; status None for a dropped answer."""
        self._drop_after: dict[str, int] = {}
        """``METHOD /path`` -> answers still to drop."""
        self._server: LoopbackServer | None = None

    # -- test hooks (Python, not HTTP) -----------------------------------------------------------

    def serve(self) -> str:
        self._server = LoopbackServer(self, "odata-fake")
        self.environment_url = self._server.url
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def drop_answer_after_applying(self, method: str, path: str, times: int = 1) -> None:
        """The next ``times`` ``method`` requests to ``path`` are applied, then the connection
        is closed without an answer: a write whose outcome the client cannot know."""
        self._drop_after[f"{method} {path}"] = times

    def journals(self, company: str, header_set: str = "LedgerJournalHeaders") -> list[dict]:
        """Headers of ``company`` with their ``lines``, by batch number."""
        line_set = LINES_OF[header_set]
        return [
            {
                **header,
                "lines": sorted(
                    (
                        line
                        for line in self.rows[line_set].values()
                        if line["dataAreaId"] == company
                        and line["JournalBatchNumber"] == header["JournalBatchNumber"]
                    ),
                    key=lambda line: line["LineNumber"],
                ),
            }
            for key, header in sorted(self.rows[header_set].items())
            if header["dataAreaId"] == company
        ]

    def replace_line(self, line_set: str, key: tuple, row: dict) -> None:
        """Someone edits a line in D365 itself."""
        self.rows[line_set][key] = row

    def unbalanced_vouchers(self, company: str, number: str) -> list[str]:
        """Vouchers of a journal that would not post: debits and credits differ in accounting
        currency (amount x ExchRate / 100, per line, to the cent) — L-IMBAL."""
        totals: dict[str, Decimal] = {}
        for line in self.rows["LedgerJournalLines"].values():
            if line["dataAreaId"] == company and line["JournalBatchNumber"] == number:
                rate = Decimal(str(line.get("ExchRate") or 100)) / 100
                amount = Decimal(str(line.get("DebitAmount") or 0)) - Decimal(
                    str(line.get("CreditAmount") or 0)
                )
                voucher = str(line.get("Voucher") or "")
                totals[voucher] = totals.get(voucher, Decimal(0)) + (amount * rate).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
        return [voucher for voucher, total in totals.items() if total != 0]

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        with self._lock:
            try:
                status, headers, content = self._route(method, path, query, body, environ)
            except _Refused as refused:
                status, headers, content = _error(refused)
            dropped = self._drop_after.get(f"{method} {path}", 0) > 0
            if dropped:
                self._drop_after[f"{method} {path}"] -= 1
            self.requests.append((method, path, query, None if dropped else status))
        if dropped:
            raise ConnectionDropped(f"fake: answer to {method} {path} dropped")
        headers = [*headers, ("Content-Length", str(len(content))), ("OData-Version", "4.0")]
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
        return [content]

    def _route(self, method: str, path: str, query: str, body: bytes, environ: dict):
        tenant = f"/{self.tenant_id}"
        if path == f"{tenant}/v2.0/.well-known/openid-configuration" and method == "GET":
            base = f"{self.authority_host}/{self.tenant_id}"
            return _json(200, {
                "issuer": f"{self.authority_host}/{self.tenant_id}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            })  # fmt: skip
        if path == f"{tenant}/oauth2/v2.0/token" and method == "POST":
            return self._token(body)
        if not path.startswith("/data/"):
            return _json(404, {"error": "invalid_tenant", "error_description": "AADSTS90002"})
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme != "Bearer" or token not in self._tokens:
            return 401, [("WWW-Authenticate", 'Bearer error="invalid_token"')], b""
        if path == "/data/$batch" and method == "POST":
            return self._batch(environ.get("CONTENT_TYPE", ""), body)
        return self._entity_request(method, path, query, body)

    def _token(self, body: bytes):
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return _json(401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            })  # fmt: skip
        if form.get("scope") != f"{self.environment_url}/.default":
            return _json(400, {
                "error": "invalid_resource",
                "error_description": f"AADSTS500011: The resource principal named "
                f"{form.get('scope')} was not found in the tenant.",
            })  # fmt: skip
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return _json(200, {"token_type": "Bearer", "expires_in": 3599,
                           "ext_expires_in": 3599, "access_token": token})  # fmt: skip

    # -- entities ------------------------------------------------------------------------------

    def _entity_request(self, method: str, path: str, query: str, body: bytes):
        match = re.fullmatch(r"/data/(\w+)(?:\((.*)\))?(/\$count)?", path)
        name = match.group(1) if match else path.removeprefix("/data/")
        if match is None or name not in self.entity_sets:
            raise _Refused(404, f"No HTTP resource was found that matches the request URI "
                           f"'{self.environment_url}{path}'.")  # fmt: skip
        keys = self.entity_sets[name]
        if match.group(2) is not None:
            key = self._key(name, match.group(2))
            if method == "GET":
                if key not in self.rows[name]:
                    raise _Refused(404, f"Resource not found for the segment '{name}'.")
                return _json(200, self.rows[name][key])
            if method == "PATCH":
                row = self.rows[name].get(key)
                if row is None:
                    raise _Refused(404, f"Resource not found for the segment '{name}'.")
                row.update({k: v for k, v in _loads(body).items() if k not in keys})
                return 204, [], b""
            if method == "DELETE":
                self._delete(name, key)
                return 204, [], b""
            raise _Refused(405, f"{method} is not allowed on an entity.")
        if method == "POST" and not match.group(3):
            row = self._create(name, _loads(body))
            location = f"{self.environment_url}/data/{name}({_key_text(keys, row)})"
            return _json(201, row, [("Location", location)])
        if method != "GET":
            raise _Refused(405, f"{method} is not allowed on {name}.")
        return self._read(name, query, path, count_only=bool(match.group(3)))

    def _key(self, name: str, text: str) -> tuple:
        values = {}
        for part in re.findall(r"(\w+)=('(?:[^']|'')*'|[^,]+)", text):
            values[part[0]] = _literal(part[1])
        keys = self.entity_sets[name]
        if set(values) != set(keys):
            raise _Refused(400, f"All key fields of {name} must be given: {', '.join(keys)}.")
        return tuple(values[k] for k in keys)

    def _read(self, name: str, query: str, path: str, count_only: bool):
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        unknown = set(params) - QUERY_OPTIONS
        if unknown:
            raise _Refused(400, f"The query parameter '{sorted(unknown)[0]}' is not supported.")
        rows = list(self.rows[name].values())
        if params.get("cross-company") != "true":
            rows = [r for r in rows if r["dataAreaId"] == self.default_company]
        if "$filter" in params and self.honour_filter:
            condition = _Filter(params["$filter"], self.wildcards).parse()
            rows = [r for r in rows if condition(r)]
        if count_only:
            return 200, [("Content-Type", "text/plain")], str(len(rows)).encode()
        for part in reversed([p.strip() for p in params.get("$orderby", "").split(",") if p]):
            field, _, direction = part.partition(" ")
            rows.sort(
                key=lambda r: (r.get(field) is None, r.get(field)), reverse=direction == "desc"
            )
        skip = int(params.get("$skip") or 0)
        top = int(params["$top"]) if params.get("$top") else None
        end = len(rows) if top is None else min(len(rows), skip + top)
        page = rows[skip : min(end, skip + self.page_size)]
        if params.get("$select"):
            fields = params["$select"].split(",")
            page = [{k: r.get(k) for k in fields} for r in page]
        document: dict = {"@odata.context": f"{self.environment_url}/data/$metadata#{name}"}
        if params.get("$count") == "true":
            document["@odata.count"] = len(rows)
        document["value"] = page
        if skip + len(page) < end:
            following = {**params, "$skip": str(skip + len(page))}
            if top is not None:
                following["$top"] = str(end - skip - len(page))
            document["@odata.nextLink"] = (
                f"{self.environment_url}{path}?{urlencode(following, quote_via=quote)}"
            )
        return _json(200, document)

    def _create(self, name: str, body: dict) -> dict:
        company = str(body.get("dataAreaId") or self.default_company).lower()
        row = {**body, "dataAreaId": company}
        if name in LINES_OF:
            if not row.get("JournalName"):
                raise _write_failure(name, "Journal name must be filled in.")
            self._numbers += 1
            row["JournalBatchNumber"] = f"{self._numbers:05d}"  # the number sequence decides
            row.setdefault("Description", row["JournalName"])
            if self.description_length is not None:
                row["Description"] = str(row["Description"])[: self.description_length]
        else:
            number = str(row.get("JournalBatchNumber") or "")
            header_set = next(h for h, lines in LINES_OF.items() if lines == name)
            if (company, number) not in self.rows[header_set]:
                raise _write_failure(name, f"Journal batch number {number} does not exist.")
            for required in (DATE_FIELD[name], "CurrencyCode"):
                if not row.get(required):
                    raise _write_failure(name, f"Field '{required}' must be filled in.")
            if row.get("LineNumber") is None:
                numbers = [k[2] for k in self.rows[name] if k[:2] == (company, number)]
                row["LineNumber"] = max(numbers, default=0) + 1
            row["LineNumber"] = Decimal(str(row["LineNumber"]))
            self._check_accounts(name, row)
        key = tuple(row[k] for k in self.entity_sets[name])
        if key in self.rows[name]:
            raise _write_failure(name, f"Cannot create a record in {name}. The record already "
                                 "exists.")  # fmt: skip
        self.rows[name][key] = row
        return row

    def _check_accounts(self, name: str, row: dict) -> None:
        for type_field, value_field in (
            ("AccountType", "AccountDisplayValue"),
            ("OffsetAccountType", "OffsetAccountDisplayValue"),
        ):
            value = row.get(value_field)
            if value in (None, "") or row.get(type_field, "Ledger") != "Ledger":
                continue
            segments = [s.replace("\\-", "-") for s in re.split(r"(?<!\\)-", str(value))]
            problems = []
            if self.main_accounts and segments[0] not in self.main_accounts:
                problems.append(f"Main account {segments[0]} does not exist.")
            for allowed, segment in zip(self.dimension_values, segments[1:], strict=False):
                if allowed and segment and segment not in allowed:
                    problems.append(f"The value '{segment}' of a financial dimension in "
                                    f"'{value}' does not exist.")  # fmt: skip
            if problems:
                raise _write_failure(name, "; Warning: ".join(problems))

    def _delete(self, name: str, key: tuple) -> None:
        if key not in self.rows[name]:
            raise _Refused(404, f"Resource not found for the segment '{name}'.")
        if name in LINES_OF and any(k[:2] == key for k in self.rows[LINES_OF[name]]):
            raise _write_failure(
                name, "Ledger journal table cannot be deleted while dependent Journal lines exist."
            )
        del self.rows[name][key]

    # -- $batch ----------------------------------------------------------------------------------

    def _batch(self, content_type: str, body: bytes):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        parts = []
        for part in message.iter_parts():
            if part.get_content_type() == "multipart/mixed":
                parts.append(self._changeset(list(part.iter_parts())))
            else:
                parts.append(_http_part(self._operation(part), part.get("Content-ID")))
        boundary = f"batchresponse_{uuid.uuid4()}"
        content = b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in parts)
        content += f"--{boundary}--\r\n".encode()
        return 200, [("Content-Type", f"multipart/mixed; boundary={boundary}")], content

    def _changeset(self, requests: list) -> bytes:
        saved, numbers = copy.deepcopy(self.rows), self._numbers
        answers = []
        for request in requests:
            status, headers, content = self._operation(request)
            if status >= 400:  # atomic: all or none
                self.rows, self._numbers = saved, numbers
                answers = [(status, headers, content, request.get("Content-ID"))]
                break
            answers.append((status, headers, content, request.get("Content-ID")))
        boundary = f"changesetresponse_{uuid.uuid4()}"
        inner = (
            b"".join(
                f"--{boundary}\r\n".encode() + _http_part((s, h, c), cid) + b"\r\n"
                for s, h, c, cid in answers
            )
            + f"--{boundary}--".encode()
        )
        return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n".encode() + inner

    def _operation(self, part) -> tuple[int, list, bytes]:
        payload = part.get_payload(decode=True) or b""
        head, _, content = payload.replace(b"\r\n", b"\n").partition(b"\n\n")
        request_line = head.split(b"\n", 1)[0].decode()
        method, url, _ = request_line.split(" ", 2)
        path, _, query = url.split("://", 1)[-1].partition("?")
        path = "/" + path.split("/", 1)[1] if "://" in url else path
        path = unquote(path if path.startswith("/data/") else "/data/" + path.lstrip("/"))
        try:
            return self._entity_request(method, path, query, content.rstrip(b"\n"))
        except _Refused as refused:
            return _error(refused)


class _Filter:
    """A recursive-descent reader of the ``$filter`` forms the facts list (section 4)."""

    TOKEN = re.compile(r"\s*(\(|\)|'(?:[^']|'')*'|-?\d+(?:\.\d+)?|\w+)")

    def __init__(self, text: str, wildcards: bool) -> None:
        self.tokens = [t for t in self.TOKEN.findall(text)]
        if "".join(self.tokens).replace(" ", "") != re.sub(r"\s+", "", text):
            raise _Refused(400, f"The query specified in the URI is not valid: {text}")
        self.position, self.wildcards = 0, wildcards

    def parse(self) -> Callable[[dict], bool]:
        condition = self._or()
        if self.position != len(self.tokens):
            raise _Refused(400, "The query specified in the URI is not valid.")
        return condition

    def _next(self) -> str:
        if self.position >= len(self.tokens):
            raise _Refused(400, "The query specified in the URI is not valid.")
        self.position += 1
        return self.tokens[self.position - 1]

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _or(self):
        left = self._and()
        while self._peek() == "or":
            self._next()
            right, before = self._and(), left
            left = lambda r, a=before, b=right: a(r) or b(r)  # noqa: E731
        return left

    def _and(self):
        left = self._unary()
        while self._peek() == "and":
            self._next()
            right, before = self._unary(), left
            left = lambda r, a=before, b=right: a(r) and b(r)  # noqa: E731
        return left

    def _unary(self):
        if self._peek() == "not":
            self._next()
            inner = self._unary()
            return lambda r: not inner(r)
        if self._peek() == "(":
            self._next()
            inner = self._or()
            if self._next() != ")":
                raise _Refused(400, "The query specified in the URI is not valid.")
            return inner
        field, operator, value = self._next(), self._next(), _literal(self._next())
        if operator not in ("eq", "ne", "gt", "ge", "lt", "le"):
            raise _Refused(400, f"The operator '{operator}' is not supported.")
        if self.wildcards and operator in ("eq", "ne") and isinstance(value, str) and "*" in value:
            pattern = re.compile(
                ".*".join(re.escape(p) for p in value.split("*")), re.IGNORECASE | re.DOTALL
            )
            matches = lambda r: bool(pattern.fullmatch(str(r.get(field, ""))))  # noqa: E731
            return matches if operator == "eq" else (lambda r: not matches(r))
        compare = {
            "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
            "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
        }[operator]  # fmt: skip

        def condition(row: dict) -> bool:
            actual = row.get(field)
            if isinstance(value, Decimal) and actual is not None:
                actual = Decimal(str(actual))
            try:
                return compare(actual, value)
            except TypeError:
                return False

        return condition


def _literal(text: str) -> object:
    text = text.strip()
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


def _key_text(keys: tuple[str, ...], row: dict) -> str:
    def literal(value: object) -> str:
        return str(value) if isinstance(value, Decimal | int) else "'" + str(value) + "'"

    return ",".join(f"{k}={literal(row[k])}" for k in keys)


def _loads(body: bytes) -> dict:
    try:
        document = json.loads(body or b"{}", parse_float=Decimal)
    except ValueError:
        raise _Refused(400, "The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise _Refused(400, "The request body must be a JSON object.")
    return document


def _dumps(value: object) -> str:
    """JSON with ``Decimal`` as a bare number of exactly its digits (Edm.Decimal)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


def _json(status: int, document: object, headers: list | None = None):
    content_type = ("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
    return status, [content_type, *(headers or [])], _dumps(document).encode()


def _error(refused: _Refused):
    inner = (
        {"message": refused.inner, "type": WRITE_EXCEPTION, "stacktrace": ""}
        if refused.inner
        else {"message": refused.message, "type": "", "stacktrace": ""}
    )
    message = "An error has occurred." if refused.inner else refused.message
    return _json(refused.status, {"error": {"code": "", "message": message, "innererror": inner}})


def _write_failure(entity_set: str, infolog: str) -> _Refused:
    return _Refused(
        400,
        "An error has occurred.",
        f"Write failed for table row of type '{AOT_NAME[entity_set]}'. Infolog: Warning: "
        f"{infolog}.",
    )


def _http_part(answer: tuple[int, list, bytes], content_id: str | None) -> bytes:
    status, headers, content = answer
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    message = f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}\r\n{lines}\r\n".encode()
    return head.encode() + b"\r\n" + message + content
