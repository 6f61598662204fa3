"""The D365 Finance OData client: paged reads, writes, ``$batch``, D365's errors.

:class:`D365Client` is the Dagster resource (its fields are the configuration; the secret comes
from ``dg.EnvVar``). ``client.open()`` gives a :class:`D365Api` session owning one
``httpx.Client`` and one msal application. The sandbox plugs in at the transport seam
(``open(sim.transport())``) or by pointing ``environment_url`` at the loopback simulator (plus
``identity_url_override``, since msal only accepts an https authority), so the production code
path is the tested one.

D365 facts this relies on (shared/reference/d365-odata.md): the service root is
``<environment>/data/``; reads see only the caller's default company unless ``cross-company=true``
is passed, and a legal entity is chosen with ``dataAreaId eq '...'`` *and* ``cross-company=true``;
writes carry ``dataAreaId`` in the body; pages are server-driven and continued by an opaque
``@odata.nextLink``; ``Prefer: odata.maxpagesize`` is sent but not relied on (undocumented for
F&O); a changeset in ``$batch`` is atomic and the outer answer is 200 even when it failed.

Retries are decided by the project's one HTTP seam, :class:`~hl_d365_assets.http.RetryingTransport`
(hl_d365_assets/http/retry_policy.py): 429 (waiting at least ``Retry-After`` seconds) and 503 are
retried for every request; connection failures before the request left are retried; for reads
(and ``PATCH``/``DELETE``, marked idempotent), 500/502/504, timeouts and dropped connections are
retried too. A *write* that got no answer (read timeout, dropped connection, 500/502/504) is not
repeated blindly: the transport hands it back as an unknown outcome, raised here as
:class:`~hl_d365_assets.d365.errors.D365OutcomeUnknown`; the ledger's journal writes
(:mod:`hl_d365_assets.ledger.d365_journals`) resolve that case by looking before writing again.
An ``AxODataWriteException`` is permanent whatever its status (D365 has answered both 400 and
500), which this client tells the transport, as is any other 4xx. Tokens are the ``httpx.Auth``
flow :class:`~hl_d365_assets.d365.auth.EntraAuth`: a 401 drops the token, fetches a new one and
repeats the request once ("expired token mid-run").

Money: response numbers with a fraction are ``Decimal``; ``Decimal`` values in request bodies go
out as exact JSON numbers.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import unquote

import dagster as dg
import httpx
from pydantic import Field

from hl_d365_assets.d365 import batch as wire
from hl_d365_assets.d365.auth import (
    DEFAULT_AUTHORITY_HOST,
    EntraAuth,
    EntraTokenProvider,
    MsalHttpClient,
)
from hl_d365_assets.d365.errors import (
    D365AuthError,
    D365Error,
    D365NotFoundError,
    D365OutcomeUnknown,
    D365TransientError,
    D365Unavailable,
    D365ValidationError,
    ODataError,
    describe_key,
    failure_text,
    parse_odata_error,
)
from hl_d365_assets.http import (
    RETRYABLE,
    NoAnswer,
    OutcomeUnknown,
    RetryingTransport,
    RetryPolicy,
    RetryRecord,
    json_object,
    request_name,
    resolved,
    retry_record,
)

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 10_000
"""D365's server-driven page size (L-ODATA; GH-2321)."""
MAX_BATCH_OPERATIONS = 5000
"""Operations one ``$batch`` may hold (L-SPL)."""

ENTITY_KEYS: dict[str, tuple[str, ...]] = {
    "LedgerJournalHeaders": ("dataAreaId", "JournalBatchNumber"),
    "LedgerJournalLines": ("dataAreaId", "JournalBatchNumber", "LineNumber"),
    "CustomerPaymentJournalHeaders": ("dataAreaId", "JournalBatchNumber"),
    "CustomerPaymentJournalLines": ("dataAreaId", "JournalBatchNumber", "LineNumber"),
    "CustomersV3": ("dataAreaId", "CustomerAccount"),
    "SalesOrderHeadersV2": ("dataAreaId", "SalesOrderNumber"),
    "SalesOrderLines": ("dataAreaId", "InventoryLotId"),
    "ReleasedProductsV2": ("dataAreaId", "ItemNumber"),
    "ProductsV2": ("ProductNumber",),
    "EmployeesV2": ("PersonnelNumber", "EmploymentLegalEntityId", "EmploymentId"),
    "ReleasedProductVariantsV2": (
        "dataAreaId",
        "ProductMasterNumber",
        "ProductConfigurationId",
        "ProductColorId",
        "ProductSizeId",
        "ProductStyleId",
        "ProductVersionId",
    ),
    "ProductBarcodesV3": (
        "dataAreaId",
        "ItemNumber",
        "ProductConfigurationId",
        "ProductColorId",
        "ProductSizeId",
        "ProductStyleId",
        "ProductVersionId",
        "ProductQuantityUnitSymbol",
        "BarcodeSetupId",
        "Barcode",
    ),
    "MainAccounts": ("ChartOfAccounts", "MainAccountId"),
    "FinancialDimensionValues": ("FinancialDimension", "LegalEntityId", "DimensionValue"),
    "JournalNames": ("dataAreaId", "Name"),
    "WarehousesOnHandV2": (
        "dataAreaId",
        "ItemNumber",
        "ProductColorId",
        "ProductConfigurationId",
        "ProductSizeId",
        "ProductStyleId",
        "ProductVersionId",
        "InventorySiteId",
        "InventoryWarehouseId",
    ),
}
"""Key fields in order (the reference, section 1): used to name records in errors."""

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class BatchOperation:
    """One write of a changeset: ``POST`` (``body``), ``PATCH`` (``key`` and ``body``) or
    ``DELETE`` (``key``)."""

    method: str
    entity_set: str
    body: dict | None = None
    key: dict | None = None

    def record_key(self) -> dict | None:
        """The key this operation addresses, or the key fields its body already carries."""
        if self.key:
            return self.key
        if not self.body:
            return None
        fields = ENTITY_KEYS.get(self.entity_set, ())
        known = {name: self.body[name] for name in fields if self.body.get(name) is not None}
        return known or None

    def describe(self) -> str:
        key = self.record_key()
        return f"{self.method} {self.entity_set}" + (f"({describe_key(key)})" if key else "")


@dataclass(frozen=True)
class OperationResult:
    operation: BatchOperation
    status: int
    body: dict | None
    """The created record for a POST (201), else usually ``None`` (204)."""


@dataclass(frozen=True)
class ChangesetResult:
    """The outcome of one changeset: every operation's result, or the one error that rolled
    it all back. Inspect each — the ``$batch`` answer itself is 200 either way."""

    operations: tuple[BatchOperation, ...]
    results: tuple[OperationResult, ...] = ()
    error: D365Error | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error


class D365Client(dg.ConfigurableResource):
    """D365 Finance & Operations OData over HTTPS; ``open()`` starts a session."""

    environment_url: str = Field(
        description="The environment root, e.g. https://contoso.operations.dynamics.com "
        "(no trailing slash, no /data); also the token's resource (scope <url>/.default)."
    )
    tenant_id: str = Field(description="Entra ID tenant (GUID or domain).")
    client_id: str = Field(description='App registration id, e.g. dg.EnvVar("D365_CLIENT_ID").')
    client_secret: str | None = Field(
        default=None, repr=False, description='dg.EnvVar("D365_CLIENT_SECRET"); never logged.'
    )
    certificate_private_key: str | None = Field(
        default=None,
        repr=False,
        description="PEM private key of a certificate credential (instead of a secret).",
    )
    certificate_thumbprint: str | None = Field(
        default=None, description="SHA-1 thumbprint (hex) of that certificate."
    )
    authority_host: str = Field(
        default=DEFAULT_AUTHORITY_HOST,
        description="Entra ID host, https (msal requires it); sovereign clouds use their own, "
        "e.g. https://login.microsoftonline.us (settings: D365_AUTHORITY_HOST).",
    )
    identity_url_override: str | None = Field(
        default=None,
        description="Sandbox only: send msal's Entra ID requests to this base URL (the loopback "
        "simulator) instead of authority_host, which msal requires to be https.",
    )
    page_size: int = Field(
        default=MAX_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description="Sent as Prefer: odata.maxpagesize; D365 may page on its own size anyway.",
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="Per request (connect, read).")
    max_attempts: int = Field(default=5, ge=1, description="Tries per request, the first included.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(
        default=60.0, ge=0, description="Cap of one wait, Retry-After included."
    )

    def open(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> "D365Api":
        """A session (use it as a context manager). ``transport`` replaces the network for both
        the OData calls and msal (tests); ``sleep`` is injectable so tests record backoff."""
        return D365Api(self, transport=transport, sleep=sleep, rng=rng)


class D365Api:
    """One session: an ``httpx.Client`` for ``/data`` (retrying transport, Entra ID auth flow).

    Meant for one thread (one asset step); open one per thread rather than sharing it.
    """

    def __init__(
        self,
        config: D365Client,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self.environment_url = config.environment_url.rstrip("/")
        self.service_root = self.environment_url + "/data/"
        self._retry = RetryPolicy(
            max_attempts=config.max_attempts,
            backoff_base_seconds=config.backoff_base_seconds,
            backoff_max_seconds=config.backoff_max_seconds,
            sleep=sleep,
            rng=rng or random.Random(),
        )
        """The session's retry policy; the journal protocol waits by it between its looks."""
        timeout = httpx.Timeout(config.timeout_seconds)
        identity_http = httpx.Client(
            transport=RetryingTransport(self._retry, transport), timeout=timeout
        )
        self._tokens = EntraTokenProvider(
            tenant_id=resolved(config.tenant_id) or "",
            client_id=resolved(config.client_id) or "",
            client_secret=resolved(config.client_secret),
            private_key_pem=resolved(config.certificate_private_key),
            thumbprint=resolved(config.certificate_thumbprint),
            scope=self.environment_url + "/.default",
            authority_host=config.authority_host,
            http_client=MsalHttpClient(
                identity_http,
                route_from=config.authority_host,
                route_to=config.identity_url_override,
            ),
        )
        self._http = httpx.Client(
            base_url=self.service_root,
            transport=RetryingTransport(
                self._retry, transport, describe=_failure_text, permanent=_is_write_failure
            ),
            auth=EntraAuth(self._tokens),
            timeout=timeout,
            headers={
                "Accept": "application/json; odata.metadata=minimal",
                "OData-Version": "4.0",
                "OData-MaxVersion": "4.0",
            },
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        """The session's one retry policy, for callers that must wait before looking again
        (the ledger resolving a write whose outcome is unknown)."""
        return self._retry

    def __enter__(self) -> "D365Api":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self._tokens.close()

    @property
    def token_requests(self) -> int:
        """Token requests that went to Entra ID (msal served the others from its cache)."""
        return self._tokens.token_requests

    # -- reads --------------------------------------------------------------------------------

    def iter_pages(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: Sequence[str] | None = None,
        orderby: str | None = None,
        top: int | None = None,
        cross_company: bool = True,
        legal_entity: str | None = None,
    ) -> Iterator[list[dict]]:
        """The matching records page by page, following ``@odata.nextLink`` as given.

        ``legal_entity`` restricts to one company (``dataAreaId`` filter, cross-company on);
        otherwise ``cross_company`` chooses all companies (default) or the caller's default.
        """
        params: dict[str, str] = {}
        combined = _combined_filter(filter, legal_entity)
        if combined:
            params["$filter"] = combined
        if select:
            params["$select"] = ",".join(select)
        if orderby:
            params["$orderby"] = orderby
        if top is not None:
            params["$top"] = str(top)
        if cross_company or legal_entity:
            params["cross-company"] = "true"
        headers = {"Prefer": f"odata.maxpagesize={self._config.page_size}"}
        url: str = entity_set
        query: dict[str, str] | None = params
        while True:
            response = self._send(
                "GET", url, params=query, headers=headers, idempotent=True, entity_set=entity_set
            )
            body = _json_body(response, entity_set)
            rows = body.get("value")
            if not isinstance(rows, list):
                raise D365Error(
                    f"GET {entity_set} answered {response.status_code} without a 'value' array",
                    entity_set=entity_set,
                    status=response.status_code,
                )
            if rows:
                yield rows
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return
            url, query = str(next_link), None

    def read_all(self, entity_set: str, **query) -> list[dict]:
        """Every matching record (all pages); takes :meth:`iter_pages`' arguments."""
        return [row for page in self.iter_pages(entity_set, **query) for row in page]

    def count(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        cross_company: bool = True,
        legal_entity: str | None = None,
    ) -> int:
        """``GET <set>/$count``: how many records match."""
        combined = _combined_filter(filter, legal_entity)
        params = {"$filter": combined} if combined else {}
        if cross_company or legal_entity:
            params["cross-company"] = "true"
        response = self._send(
            "GET", f"{entity_set}/$count", params=params, idempotent=True, entity_set=entity_set
        )
        try:
            return int(response.text.strip().lstrip("\ufeff"))
        except ValueError:
            raise D365Error(
                f"GET {entity_set}/$count answered {response.text[:80]!r}, not a number",
                entity_set=entity_set,
                status=response.status_code,
            ) from None

    def get(self, entity_set: str, key: dict) -> dict:
        """One record by its full key; :class:`D365NotFoundError` when there is none."""
        response = self._send(
            "GET",
            entity_path(entity_set, key),
            params={"cross-company": "true"},
            idempotent=True,
            entity_set=entity_set,
            key=key,
        )
        return _json_body(response, entity_set)

    # -- writes -------------------------------------------------------------------------------

    def create(self, entity_set: str, body: dict) -> dict:
        """``POST``; the created record as D365 answered it (201), system fields filled in."""
        response = self._send(
            "POST",
            entity_set,
            content=wire.dumps(body),
            headers={"Content-Type": wire.JSON_CONTENT_TYPE},
            idempotent=False,
            entity_set=entity_set,
            key=BatchOperation("POST", entity_set, body).record_key(),
        )
        return _json_body(response, entity_set)

    def update(self, entity_set: str, key: dict, changes: dict) -> None:
        """``PATCH`` the given fields of one record."""
        self._send(
            "PATCH",
            entity_path(entity_set, key),
            content=wire.dumps(changes),
            headers={"Content-Type": wire.JSON_CONTENT_TYPE},
            idempotent=True,
            entity_set=entity_set,
            key=key,
        )

    def delete(self, entity_set: str, key: dict) -> None:
        self._send(
            "DELETE", entity_path(entity_set, key), idempotent=True, entity_set=entity_set, key=key
        )

    def batch(self, changesets: Sequence[Sequence[BatchOperation]]) -> list[ChangesetResult]:
        """Send changesets in one ``POST $batch``; one :class:`ChangesetResult` each, in order.

        Each changeset is atomic in D365. A failed changeset does not raise: its result holds
        the error (``raise_for_error()``). Content-IDs are numbered 1.. across the batch.
        """
        operations = [op for changeset in changesets for op in changeset]
        if not operations:
            return []
        if len(operations) > MAX_BATCH_OPERATIONS:
            raise ValueError(
                f"{len(operations)} operations in one $batch; D365 takes {MAX_BATCH_OPERATIONS}"
            )
        items = []
        content_id = 0
        for changeset in changesets:
            requests = []
            for operation in changeset:
                content_id += 1
                requests.append(self._batch_request(operation, str(content_id)))
            items.append(wire.Changeset(tuple(requests)))
        content_type, body = wire.encode_batch_request(items)
        response = self._send(
            "POST",
            "$batch",
            content=body,
            headers={"Content-Type": content_type},
            idempotent=False,
            entity_set="$batch",
        )
        try:
            answered = wire.decode_batch_response(
                response.headers.get("Content-Type", ""), response.content
            )
        except wire.BatchFormatError as exc:
            raise D365Error(
                f"POST $batch answered {response.status_code} with an unreadable body: {exc}",
                entity_set="$batch",
                status=response.status_code,
                body=response.text[:2000],
            ) from None
        if len(answered) != len(changesets):
            raise D365Error(
                f"POST $batch answered {len(answered)} parts for {len(changesets)} changesets",
                entity_set="$batch",
                status=response.status_code,
                body=response.text[:2000],
            )
        results = []
        first_content_id = 1
        for index, (changeset, part) in enumerate(zip(changesets, answered, strict=True)):
            results.append(
                self._changeset_result(
                    index, len(changesets), tuple(changeset), part, first_content_id
                )
            )
            first_content_id += len(changeset)
        return results

    # -- $batch helpers -----------------------------------------------------------------------

    def _batch_request(self, operation: BatchOperation, content_id: str) -> wire.BatchRequest:
        path = (
            entity_path(operation.entity_set, operation.key)
            if operation.key
            else operation.entity_set
        )
        headers: list[tuple[str, str]] = [
            ("OData-Version", "4.0"),
            ("Accept", "application/json; odata.metadata=minimal"),
        ]
        body = b""
        if operation.body is not None:
            headers.append(("Content-Type", wire.JSON_CONTENT_TYPE))
            body = wire.dumps(operation.body)
        return wire.BatchRequest(
            operation.method.upper(), self.service_root + path, tuple(headers), body, content_id
        )

    def _changeset_result(
        self,
        index: int,
        total: int,
        operations: tuple[BatchOperation, ...],
        part: wire.BatchResponseItem,
        first_content_id: int,
    ) -> ChangesetResult:
        responses = part.responses if isinstance(part, wire.ChangesetResponse) else (part,)
        failed = [r for r in responses if r.status >= 400]
        if not failed and len(responses) == len(operations):
            results = []
            for operation, response in zip(operations, responses, strict=True):
                body = None
                if response.body.strip():
                    parsed = wire.loads(response.body)
                    body = parsed if isinstance(parsed, dict) else None
                results.append(OperationResult(operation, response.status, body))
            return ChangesetResult(operations, tuple(results))
        if not responses:
            error = D365Error(
                f"changeset {index + 1} of {total} was answered by an empty part",
                request="POST $batch",
                entity_set=operations[0].entity_set,
            )
            return ChangesetResult(operations, (), error)
        response = failed[0] if failed else responses[0]
        operation = _operation_by_content_id(operations, response.content_id, first_content_id)
        odata = parse_odata_error(response.body)
        body_text = response.body.decode("utf-8", "replace")
        pointer = (
            f"; D365 points at Content-ID {response.content_id} ({operation.describe()})"
            if operation is not None
            else ""
        )
        message = (
            f"changeset {index + 1} of {total} ({len(operations)} operation"
            f"{'s' * (len(operations) != 1)}: {_summary(operations)}) rolled back{pointer}: "
            f"{failure_text(response.status, odata, body_text)}"
        )
        error = _changeset_error_class(response.status, odata)(
            message,
            request="POST $batch",
            entity_set=operation.entity_set if operation else operations[0].entity_set,
            key=operation.record_key() if operation else None,
            status=response.status,
            odata=odata,
            body=body_text,
            content_id=response.content_id,
        )
        if operation is not None and operation.body and "LineNumber" in operation.body:
            error.line_number = operation.body["LineNumber"]
        return ChangesetResult(operations, (), error)

    # -- sending ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        content: bytes | None = None,
        headers: dict | None = None,
        idempotent: bool,
        entity_set: str,
        key: dict | None = None,
    ) -> httpx.Response:
        """The 2xx response; else raise D365's refusal as its exception. ``idempotent`` tells
        the retrying transport whether the request may be repeated after it may have been
        applied (see the module docstring)."""
        request = self._http.build_request(
            method,
            url,
            params=params,
            content=content,
            headers=headers,
            extensions={RETRYABLE: idempotent},
        )
        name = request_name(request)
        where = {"request": name, "entity_set": entity_set, "key": key}
        try:
            response = self._http.send(request)
        except OutcomeUnknown as exc:
            raise D365OutcomeUnknown(
                f"{name} got no answer ({exc.failure}); D365 may have applied it, "
                "so it is not repeated blindly",
                attempts=exc.attempts,
                **where,
            ) from None
        except NoAnswer as exc:
            raise D365Unavailable(
                _gave_up(name, exc.attempts, exc.failure), attempts=exc.attempts, **where
            ) from None
        if response.is_success:
            return response
        status = response.status_code
        body_text = response.text
        odata = parse_odata_error(body_text)
        failure = failure_text(status, odata, body_text)
        record = retry_record(response)
        error_class = _error_class(status, odata, record)
        message = (
            _gave_up(name, record.attempts, failure)
            if error_class is D365Unavailable and record.exhausted
            else _refusal_message(name, failure, error_class, status)
        )
        raise error_class(
            message, status=status, odata=odata, body=body_text, attempts=record.attempts, **where
        )


# -- OData text ---------------------------------------------------------------------------------


def odata_literal(value: object) -> str:
    """A value as an OData URL literal: strings quoted with ``'`` doubled, numbers bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value).replace("'", "''")
    return f"'{text}'"


def entity_path(entity_set: str, key: dict) -> str:
    """``LedgerJournalHeaders(dataAreaId='usrt',JournalBatchNumber='00001')`` — every key field
    must be given (L-ODATA)."""
    return f"{entity_set}({','.join(f'{name}={odata_literal(v)}' for name, v in key.items())})"


# -- helpers ------------------------------------------------------------------------------------


def _combined_filter(filter: str | None, legal_entity: str | None) -> str | None:
    company = f"dataAreaId eq {odata_literal(legal_entity.lower())}" if legal_entity else None
    if filter and company:
        return f"({filter}) and {company}"
    return filter or company


def _request_name(request: httpx.Request) -> str:
    return f"{request.method} {unquote(request.url.raw_path.decode('ascii'))}"


def _error_class(status: int, odata: ODataError, record: RetryRecord) -> type[D365Error]:
    """The exception a final non-2xx answer raises (the transport has retried what it could)."""
    if odata.is_write_failure:
        return D365ValidationError
    if status in (401, 403):
        return D365AuthError
    if status == 404:
        return D365NotFoundError
    if record.outcome_unknown:
        return D365OutcomeUnknown
    if 400 <= status < 500 and not record.exhausted:
        return D365ValidationError
    return D365Unavailable


def _changeset_error_class(status: int, odata: ODataError) -> type[D365Error]:
    """The exception of a failed changeset: rolled back, so nothing was applied and anything
    but a refusal of the data or the caller may pass by itself."""
    if odata.is_write_failure or (400 <= status < 500 and status not in (401, 403, 404, 429)):
        return D365ValidationError
    if status in (401, 403):
        return D365AuthError
    if status == 404:
        return D365NotFoundError
    return D365TransientError


def _refusal_message(name: str, failure: str, error_class: type, status: int) -> str:
    if error_class is D365AuthError:
        extra = (
            ", again with a fresh token"
            if status == 401
            else "; is the app registered under Microsoft Entra applications in D365?"
        )
        return f"{name} refused: {failure}{extra}"
    if error_class is D365OutcomeUnknown:
        return (
            f"{name} failed with {failure}; D365 may have applied it, so it is not repeated blindly"
        )
    if error_class is D365NotFoundError:
        return f"{name}: no such record ({failure})"
    if error_class is D365Unavailable:
        return f"{name} failed: {failure}"
    return f"D365 rejected {name}: {failure}"


def _gave_up(name: str, attempts: int, failure: str) -> str:
    return f"{name} failed after {attempts} attempt{'s' * (attempts > 1)}; last failure: {failure}"


def _failure_text(response: httpx.Response) -> str:
    """A failed answer in D365's words, for the retry log."""
    return failure_text(response.status_code, parse_odata_error(response.content), response.text)


def _is_write_failure(response: httpx.Response) -> bool:
    """An ``AxODataWriteException`` is D365 refusing the data: final whatever its status."""
    return parse_odata_error(response.content).is_write_failure


def _operation_by_content_id(
    operations: tuple[BatchOperation, ...], content_id: str | None, first_content_id: int
) -> BatchOperation | None:
    """The operation a changeset's error part names. Content-IDs run 1.. across the batch.
    D365 has been seen labelling the error part with another operation's Content-ID than the
    one that failed (DOC2ENT-RU), so this is D365's pointer, reported as such."""
    try:
        offset = int(content_id or "") - first_content_id
    except ValueError:
        return None
    return operations[offset] if 0 <= offset < len(operations) else None


def _summary(operations: tuple[BatchOperation, ...]) -> str:
    counts: dict[str, int] = {}
    for operation in operations:
        label = f"{operation.method} {operation.entity_set}"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{count} x {label}" for label, count in counts.items())


def _json_body(response: httpx.Response, entity_set: str) -> dict:
    body = json_object(response, wire.loads)
    if body is None:
        raise D365Error(
            f"{entity_set} answered {response.status_code} with a body that is not a JSON object",
            entity_set=entity_set,
            status=response.status_code,
            body=response.text[:2000],
        )
    return body
