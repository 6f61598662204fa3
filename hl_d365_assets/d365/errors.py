"""What can go wrong talking to D365, as exceptions the poster can act on.

- :class:`D365ValidationError` — D365 refused the data (an ``AxODataWriteException`` or another
  4xx). Permanent: retrying sends the same data to the same rules. The poster quarantines the
  journal with :attr:`D365Error.body` (the raw error body) and moves on.
- :class:`D365NotFoundError` — the addressed record does not exist (404).
- :class:`D365AuthError` — Entra ID refused the credentials, or D365 refused a fresh token.
- :class:`D365Unavailable` — transient failures (throttling, 5xx, timeouts) outlasted the retry
  budget. Nothing is known to be wrong with the data; try again later.
- :class:`D365QueryNotHonoured` — the service answered a ``$filter`` with records that do not
  satisfy it (an OData server that ignores the filter, or a form of it). Whatever was about to
  be decided from that answer (adopt a journal, add its lines) is not safe: the run stops.
- :class:`D365OutcomeUnknown` — a write was sent and no answer came back (read timeout, dropped
  connection, 500/502/504): D365 may or may not have applied it, so it is not blindly repeated.

Every message names the request, the entity set and key (or journal and line) when known, the
HTTP status and what D365 said — ``innererror.message`` when present, the Infolog text. The shape
parsed is ``{"error": {"code", "message", "innererror": {"message", "type", "stacktrace"}}}``
(shared/reference/d365-odata.md section 3). Secrets and tokens never appear in a message.
"""

from dataclasses import dataclass

from hl_d365_assets.d365.batch import loads

WRITE_EXCEPTION_TYPE = (
    "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
)


@dataclass(frozen=True)
class ODataError:
    """The fields of an OData error body (all optional: proxies answer with other shapes)."""

    code: str | None = None
    message: str | None = None
    inner_message: str | None = None
    inner_type: str | None = None

    @property
    def detail(self) -> str | None:
        """What D365 said: the Infolog text when there is one, else the outer message."""
        return self.inner_message or self.message

    @property
    def is_write_failure(self) -> bool:
        return bool(self.inner_type) and self.inner_type.endswith("AxODataWriteException")


def parse_odata_error(body: bytes | str | None) -> ODataError:
    """Read an OData error body; anything unreadable gives an empty :class:`ODataError`."""
    if not body:
        return ODataError()
    try:
        document = loads(body)
    except ValueError:
        return ODataError()
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return ODataError()
    inner = error.get("innererror")
    inner = inner if isinstance(inner, dict) else {}

    def text(value: object) -> str | None:
        return str(value) if value not in (None, "") else None

    return ODataError(
        code=text(error.get("code")),
        message=text(error.get("message")),
        inner_message=text(inner.get("message")),
        inner_type=text(inner.get("type")),
    )


class D365Error(RuntimeError):
    """A D365 request failed; the message says which, where and why."""

    def __init__(
        self,
        message: str,
        *,
        request: str | None = None,
        entity_set: str | None = None,
        key: dict | None = None,
        status: int | None = None,
        odata: ODataError | None = None,
        body: str | None = None,
        attempts: int = 1,
        content_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.entity_set = entity_set
        self.key = key
        self.status = status
        self.odata = odata or ODataError()
        self.body = body
        """The raw response body (text) as D365 sent it; the poster stores it in quarantine."""
        self.attempts = attempts
        self.content_id = content_id
        """For a failed changeset: the Content-ID D365 put on its error part."""
        self.journal_batch_number: str | None = None
        """For a journal whose lines D365 rejected: the header's number."""
        self.line_number: object = None
        """The LineNumber of the operation D365's error part points at, when it is a line."""
        self.header_deleted: bool | None = None
        """For rejected lines: whether the empty header was deleted again."""

    @property
    def d365_message(self) -> str | None:
        return self.odata.detail


class D365ValidationError(D365Error):
    """D365 rejected the data; permanent."""


class D365NotFoundError(D365Error):
    """The addressed record does not exist."""


class D365AuthError(D365Error):
    """Entra ID or D365 refused the credentials or the token."""


class D365QueryNotHonoured(D365Error):
    """The service answered a filter with records that do not match it; nothing that protects
    exactly-once posting may be decided from such an answer."""


class D365TransientError(D365Error):
    """A failure that may pass by itself."""


class D365Unavailable(D365TransientError):
    """Throttling, server errors or timeouts outlasted the retry budget."""


class D365OutcomeUnknown(D365TransientError):
    """A write got no answer; D365 may have applied it. Look before writing again."""


def describe_key(key: dict | None) -> str:
    """``dataAreaId='usrt',JournalBatchNumber='00001'`` — the form of an OData key segment."""
    if not key:
        return ""
    return ",".join(
        f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"
        for name, value in key.items()
    )


def failure_text(status: int | None, odata: ODataError, body: str | None) -> str:
    """``HTTP 400: <what D365 said>``, falling back to the start of the body."""
    text = f"HTTP {status}" if status is not None else "no HTTP answer"
    if odata.detail:
        return f"{text}: {odata.detail}"
    if body:
        snippet = body.strip().replace("\n", " ")
        return f"{text}: {snippet[:300]}"
    return text
