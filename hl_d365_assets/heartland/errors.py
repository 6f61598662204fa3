"""What can go wrong talking to GP-API, as exceptions that name the request and GP's own words.

GP's error body is ``{"error_code", "detailed_error_code", "detailed_error_description"}``
(shared/reference/gp-api.md). A message names the request (method, path and query), the attempts
and the last failure; the app key, the secret and the token never appear in one.
"""

from __future__ import annotations

import re

import httpx

from hl_d365_assets.http import RetryRecord, json_object, retry_record


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


class HeartlandUnavailable(HeartlandApiError):
    """No usable answer came: the connection failed, or 429/5xx outlasted the attempts. A write
    that ends so was not applied (the retrying transport never repeats one that may have been)."""


class HeartlandOutcomeUnknown(HeartlandApiError):
    """A write got no answer, or a 5xx, after it may have reached GP: it may have been applied.
    Look it up (by reference) before sending it again."""


class HeartlandDuplicateRequest(HeartlandApiError):
    """``409 DUPLICATE_ACTION`` / ``40039``: GP has seen this ``x-gp-idempotency`` key. GP names
    the resource the first request made (``Idempotency Key seen before: id=TRN_…,
    status=…``); :attr:`resource_id` holds it when the text carries one."""

    @property
    def resource_id(self) -> str | None:
        found = re.search(r"id=([A-Za-z]{3}_[A-Za-z0-9_]+)", self.description or "")
        return found.group(1) if found else None


def gp_error(response: httpx.Response) -> dict[str, str | None]:
    body = json_object(response) or {}
    return {
        key: (str(body[key]) if body.get(key) is not None else None)
        for key in ("error_code", "detailed_error_code", "detailed_error_description")
    }


def failure_text(response: httpx.Response) -> str:
    """``HTTP 429 TOO_MANY_REQUESTS (42900): <what GP said>``."""
    gp = gp_error(response)
    text = f"HTTP {response.status_code}"
    if gp["error_code"]:
        text += f" {gp['error_code']}"
    if gp["detailed_error_code"]:
        text += f" ({gp['detailed_error_code']})"
    if gp["detailed_error_description"]:
        text += f": {gp['detailed_error_description']}"
    return text


def refusal(
    name: str, response: httpx.Response, *, token_request_for: str | None = None
) -> HeartlandApiError:
    """The error a non-2xx answer to ``name`` raises. ``token_request_for``: the app id, when the
    request asked for an access token (a refusal there is about the credentials). A 401 to any
    other request comes after the token was renewed once (:class:`GpAccessToken`)."""
    record = retry_record(response)
    status = response.status_code
    failure = failure_text(response)
    if record.exhausted:
        return _failed(name, record, failure, status)
    gp = gp_error(response)
    fields = {
        "request": name,
        "attempts": record.attempts,
        "status": status,
        "error_code": gp["error_code"],
        "detailed_error_code": gp["detailed_error_code"],
        "description": gp["detailed_error_description"],
    }
    if token_request_for is not None and status in (401, 403):
        return HeartlandAuthenticationError(
            f"{name} for app_id {token_request_for!r} refused: {failure}; "
            "check HEARTLAND_APP_ID / HEARTLAND_APP_KEY and base_url",
            **fields,
        )
    if record.outcome_unknown:
        return HeartlandOutcomeUnknown(
            f"{name} answered {failure}; it may have been applied, look before sending again",
            **fields,
        )
    if status == 409 and gp["detailed_error_code"] == "40039":
        return HeartlandDuplicateRequest(f"{name} refused: {failure}", **fields)
    if token_request_for is None and status == 401:
        return HeartlandAuthenticationError(
            f"{name} refused: {failure}, again with a fresh access token; not retrying", **fields
        )
    return HeartlandApiError(f"{name} refused: {failure} (not retried)", **fields)


def no_answer(
    name: str, attempts: int, failure: str, *, outcome_unknown: bool = False
) -> HeartlandApiError:
    if outcome_unknown:
        return HeartlandOutcomeUnknown(
            f"{name} got no answer ({failure}) and may have been applied; look before sending "
            "again",
            request=name,
            attempts=attempts,
        )
    return _failed(name, RetryRecord(attempts=attempts), failure, None)


def unexpected_body(
    name: str,
    response: httpx.Response,
    what: str,
    error_class: type[HeartlandApiError] = HeartlandApiError,
) -> HeartlandApiError:
    """A 2xx answer without what it should hold (``what``: "without a token")."""
    return error_class(
        f"{name} answered {response.status_code} {what}",
        request=name,
        attempts=retry_record(response).attempts,
        status=response.status_code,
    )


def _failed(name: str, record: RetryRecord, failure: str, status: int | None) -> HeartlandApiError:
    attempts = record.attempts
    return HeartlandUnavailable(
        f"{name} failed after {attempts} attempt{'s' * (attempts > 1)}; last failure: {failure}",
        request=name,
        attempts=attempts,
        status=status,
    )
