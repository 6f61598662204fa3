"""The GP-API access token as an ``httpx.Auth`` flow: request it, reuse it until shortly before it
expires, and when GP refuses it anyway (``401 NOT_AUTHENTICATED``: revoked, or a clock skew) get
one new token and send the request once more — never a loop, as in GP's PHP SDK.

The token is ``POST /accesstoken`` with ``secret = sha512(nonce + app_key)`` in lowercase hex
(shared/reference/gp-api.md). It goes through the same client, hence the same retrying transport,
as the data requests; it is safe to repeat (marked ``retryable``), each attempt with a fresh
nonce (``renew``), since GP may refuse a nonce it has seen.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from hl_d365_assets.heartland.errors import (
    HeartlandAuthenticationError,
    failure_text,
    refusal,
    unexpected_body,
)
from hl_d365_assets.http import RENEW, RETRYABLE, json_object, request_name

logger = logging.getLogger(__name__)

TOKEN_PATH = "accesstoken"
TOKEN_EXPIRY_MARGIN_SECONDS = 60.0
"""A token is renewed this long before GP says it expires (at most a tenth of its life), so a
request never leaves with a token that dies on the way."""


class GpAccessToken(httpx.Auth):
    """Bearer tokens for one app id; meant for one session (one ``httpx.Client``)."""

    requires_response_body = True

    def __init__(
        self,
        *,
        app_id: str,
        app_key: str,
        seconds_to_expire: int,
        build_request: Callable[..., httpx.Request],
        clock: Callable[[], float],
    ) -> None:
        """``build_request``: the session client's, so the token request gets its base URL,
        headers and timeouts; ``clock``: monotonic seconds, injectable to age tokens in tests."""
        self._app_id = app_id
        self._app_key = app_key
        self._seconds_to_expire = seconds_to_expire
        self._build_request = build_request
        self._clock = clock
        self.token: str | None = None
        self._renew_at = 0.0
        self.token_requests = 0
        """Tokens GP issued to this session."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.token is None or self._clock() >= self._renew_at:
            yield from self._new_token()
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code != 401:
            return
        logger.warning(
            "%s: %s; requesting a new access token once",
            request_name(request),
            failure_text(response),
        )
        yield from self._new_token()
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request

    def _new_token(self) -> Generator[httpx.Request, httpx.Response, None]:
        request = self._token_request()
        response = yield request
        name = request_name(request)
        if not response.is_success:
            raise refusal(name, response, token_request_for=self._app_id)
        body = json_object(response)
        if body is None:
            raise unexpected_body(name, response, "with a body that is not a JSON object")
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise unexpected_body(name, response, "without a token", HeartlandAuthenticationError)
        try:
            lifetime = float(body.get("seconds_to_expire") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        lifetime = lifetime or float(self._seconds_to_expire)
        self.token_requests += 1
        self.token = token
        self._renew_at = self._clock() + lifetime - min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 10)

    def _token_request(self) -> httpx.Request:
        nonce = f"{datetime.now(UTC).isoformat(timespec='milliseconds')}-{secrets.token_hex(8)}"
        body = {
            "app_id": self._app_id,
            "nonce": nonce,
            "secret": hashlib.sha512((nonce + self._app_key).encode()).hexdigest(),
            "grant_type": "client_credentials",
            "seconds_to_expire": self._seconds_to_expire,
        }
        return self._build_request(
            "POST", TOKEN_PATH, json=body, extensions={RETRYABLE: True, RENEW: self._token_request}
        )
