"""What can go wrong talking to Heartland Retail, as exceptions that name the request.

A message names the request (method, path and query), the status and the attempts, and at most a
short detail: the ``error`` field of a JSON body (docs/heartland_retail.md, *assumed* error body
``{"error": "<text>"}``), cut to :data:`DETAIL_LIMIT` characters with card numbers and e-mail
addresses masked. Never the whole body: a refusal of a customer write can quote the customer.
The API token never appears in a message (it travels only in the ``Authorization`` header,
which nothing logs).
"""

from __future__ import annotations

import re

import httpx

from hl_d365_assets.http import RetryRecord, exact_json, retry_record
from hl_d365_assets.pci import mask_card_numbers

DETAIL_LIMIT = 120
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class HeartlandRetailApiError(RuntimeError):
    """A Heartland Retail request failed for good; the message names the request."""

    def __init__(
        self,
        message: str,
        *,
        request: str,
        attempts: int = 1,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        """``GET /api/sales/tickets?page=2``: method, path and query."""
        self.attempts = attempts
        self.status = status
        """The HTTP status of the last answer; ``None`` when none came."""
        self.detail = detail
        """The service's own short words (masked, truncated), when it gave any."""


class HeartlandRetailAuthenticationError(HeartlandRetailApiError):
    """401 or 403: the token is wrong, revoked, or its user lacks the permission."""


class HeartlandRetailOutcomeUnknown(HeartlandRetailApiError):
    """A create (``POST``) got no answer, or a server error, after it may have been applied.

    It is not repeated (hl_d365_assets/http/retry_policy.py): the caller looks the record up
    (by ``public_id``, e-mail, a custom field) before creating it again.
    """


def error_detail(response: httpx.Response) -> str | None:
    """The ``error`` field of a JSON body, short and masked; ``None`` without one."""
    try:
        body = exact_json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or body.get("error") in (None, ""):
        return None
    error = body["error"]
    text = error if isinstance(error, str) else exact_json.dumps(error)
    text = _EMAIL.sub("<e-mail>", mask_card_numbers(text))
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def failure_text(response: httpx.Response) -> str:
    """``HTTP 404: Record not found``: how the retrying transport's log and our errors word an
    answer."""
    detail = error_detail(response)
    return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")


def refusal(name: str, response: httpx.Response) -> HeartlandRetailApiError:
    """The error a non-2xx answer to the request ``name`` raises."""
    record = retry_record(response)
    status = response.status_code
    failure = failure_text(response)
    fields = {
        "request": name,
        "attempts": record.attempts,
        "status": status,
        "detail": error_detail(response),
    }
    if record.exhausted:
        return HeartlandRetailApiError(_after_attempts(name, record, failure), **fields)
    if record.outcome_unknown:
        return HeartlandRetailOutcomeUnknown(
            f"{name} answered {failure}; it may have been applied and is not repeated: "
            "look the record up before creating it again",
            **fields,
        )
    if status in (401, 403):
        return HeartlandRetailAuthenticationError(
            f"{name} refused: {failure}; check HEARTLAND_RETAIL_TOKEN (and that its user may "
            "do this) and HEARTLAND_RETAIL_SUBDOMAIN",
            **fields,
        )
    return HeartlandRetailApiError(f"{name} refused: {failure} (not retried)", **fields)


def no_answer(
    name: str, attempts: int, failure: str, *, outcome_unknown: bool = False
) -> HeartlandRetailApiError:
    """No answer came back (connection failures, timeouts) after every attempt allowed."""
    if outcome_unknown:
        return HeartlandRetailOutcomeUnknown(
            f"{name} got no answer ({failure}); it may have been applied and is not repeated: "
            "look the record up before creating it again",
            request=name,
            attempts=attempts,
        )
    message = _after_attempts(name, RetryRecord(attempts=attempts), failure)
    return HeartlandRetailApiError(message, request=name, attempts=attempts)


def unexpected_answer(name: str, response: httpx.Response, what: str) -> HeartlandRetailApiError:
    """A 2xx answer without what it should hold (``what``: "without a results array")."""
    return HeartlandRetailApiError(
        f"{name} answered HTTP {response.status_code} {what}",
        request=name,
        attempts=retry_record(response).attempts,
        status=response.status_code,
    )


def _after_attempts(name: str, record: RetryRecord, failure: str) -> str:
    attempts = record.attempts
    return f"{name} failed after {attempts} attempt{'s' * (attempts > 1)}; last failure: {failure}"
