"""Entra ID access tokens for D365, through msal, with httpx underneath.

D365 Finance takes a client-credentials token: ``POST <authority_host>/<tenant>/oauth2/v2.0/token``
with ``scope=<environment url>/.default`` (shared/reference/d365-odata.md section 5), answered by
``{"token_type": "Bearer", "expires_in": 3599, "access_token": ...}``. msal does the protocol,
caches the token and serves it until five minutes before it expires, then fetches a new one.

msal reaches the network only through its ``http_client`` hook, for which
:class:`MsalHttpClient` adapts an ``httpx.Client``: with the simulator's in-process transport in
tests, with a real connection pool in production. msal 1.39 uses ``get(url, params=, headers=)``
for the OpenID configuration and ``post(url, params=, data=, headers=)`` for the token, and reads
``status_code``, ``text`` and ``headers`` of the answer (``raise_for_status`` on 5xx). The authority
must be ``https://`` — msal refuses anything else — so the sandbox keeps the real authority URL
and the adapter routes its requests to the loopback simulator (``route_to``).

msal leaves retrying to the ``http_client`` it is given, so the adapter applies the project's one
retry policy (hl_d365_assets/http_retry.py) to connection errors, 429 and 5xx. Instance discovery
is off: the authority is configuration, not something to ask Microsoft about.

A token the API refuses (401: expired or revoked early) is dropped from msal's cache with
:meth:`EntraTokenProvider.invalidate`, so the next :meth:`~EntraTokenProvider.token` fetches a new
one. Errors name the tenant and the client id — never the secret, the key or a token.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import msal

from hl_d365_assets.d365.errors import D365AuthError, D365Unavailable
from hl_d365_assets.http_retry import (
    RETRY_AFTER_STATUSES,
    RETRYABLE_STATUSES,
    RETRYABLE_TRANSPORT_ERRORS,
    backoff_delay,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"


@dataclass
class RetrySettings:
    """The knobs of the shared retry policy, as a session holds them."""

    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        return backoff_delay(
            attempt, self.backoff_base_seconds, self.backoff_max_seconds, retry_after, self.rng
        )


class _MsalResponse:
    """The answer shape msal reads (``msal.oauth2cli.http.Response``)."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.text = response.text
        self.headers = dict(response.headers)

    def raise_for_status(self) -> None:
        self._response.raise_for_status()


class MsalHttpClient:
    """A requests-like ``get``/``post``/``close`` over ``httpx`` for msal's ``http_client``."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        retry: RetrySettings | None = None,
        route_from: str | None = None,
        route_to: str | None = None,
    ) -> None:
        """``route_from``/``route_to``: URLs starting with ``route_from`` (the authority host)
        are sent to ``route_to`` instead — the sandbox's loopback simulator."""
        self._http = http
        self._retry = retry or RetrySettings()
        self._route_from = route_from.rstrip("/") if route_from else None
        self._route_to = route_to.rstrip("/") if route_to else None
        self.token_requests = 0
        """Token requests that reached the network (msal cache misses), retries included."""

    def get(self, url: str, params=None, headers=None, **kwargs) -> _MsalResponse:
        return self._send("GET", url, params=params, headers=headers, timeout=kwargs.get("timeout"))

    def post(self, url: str, params=None, data=None, headers=None, **kwargs) -> _MsalResponse:
        content = urlencode(data) if isinstance(data, Mapping) else data
        headers = dict(headers or {})
        if isinstance(data, Mapping):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self._send(
            "POST",
            url,
            params=params,
            headers=headers,
            content=content,
            timeout=kwargs.get("timeout"),
        )

    def close(self) -> None:
        self._http.close()

    def _routed(self, url: str) -> str:
        if self._route_from and self._route_to and url.startswith(self._route_from):
            return self._route_to + url[len(self._route_from) :]
        return url

    def _send(self, method: str, url: str, **options) -> _MsalResponse:
        target = self._routed(url)
        if options.get("timeout") is None:
            options.pop("timeout", None)
        attempt = 0
        while True:
            attempt += 1
            if method == "POST" and target.endswith("/token"):
                self.token_requests += 1
            retry_after = None
            try:
                response = self._http.request(method, target, **options)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                if attempt >= self._retry.max_attempts:
                    raise
                failure = f"{type(exc).__name__}: {exc or 'no detail'}"
            else:
                if response.status_code not in RETRYABLE_STATUSES or (
                    attempt >= self._retry.max_attempts
                ):
                    return _MsalResponse(response)
                failure = f"HTTP {response.status_code}"
                if response.status_code in RETRY_AFTER_STATUSES:
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            delay = self._retry.delay(attempt, retry_after)
            logger.warning(
                "Entra ID %s %s failed (%s); attempt %d of %d, retrying in %.2fs",
                method,
                httpx.URL(url).path,
                failure,
                attempt,
                self._retry.max_attempts,
                delay,
            )
            self._retry.sleep(delay)


class EntraTokenProvider:
    """Client-credentials tokens for one app registration and one D365 environment."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        scope: str,
        http_client: MsalHttpClient,
        client_secret: str | None = None,
        private_key_pem: str | None = None,
        thumbprint: str | None = None,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
    ) -> None:
        if client_secret:
            self._credential: str | dict = client_secret
        elif private_key_pem and thumbprint:
            self._credential = {"private_key": private_key_pem, "thumbprint": thumbprint}
        else:
            raise D365AuthError(
                f"no credential for client id {client_id!r} in tenant {tenant_id!r}: "
                "give a client secret, or a certificate private key and its thumbprint"
            )
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.scope = scope
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._http_client = http_client
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    @property
    def token_requests(self) -> int:
        return self._http_client.token_requests

    def token(self) -> str:
        """A valid access token: msal's cached one, or a new one from Entra ID."""
        with self._lock:
            app = self._application()
            try:
                result = app.acquire_token_for_client(scopes=[self.scope])
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                raise D365Unavailable(
                    f"Entra ID token endpoint for tenant {self.tenant_id!r} unreachable "
                    f"({type(exc).__name__}: {exc or 'no detail'}); no token for client id "
                    f"{self.client_id!r}"
                ) from None
            except msal.exceptions.MsalServiceError as exc:
                raise D365Unavailable(
                    f"Entra ID token endpoint for tenant {self.tenant_id!r} failed ({exc}); "
                    f"no token for client id {self.client_id!r}"
                ) from None
            except httpx.HTTPStatusError as exc:
                raise D365Unavailable(
                    f"Entra ID token endpoint for tenant {self.tenant_id!r} failed ({exc}); "
                    f"no token for client id {self.client_id!r}"
                ) from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if token:
            return token
        error = result.get("error") if isinstance(result, dict) else None
        description = (result.get("error_description") or "") if isinstance(result, dict) else ""
        raise D365AuthError(
            f"Entra ID refused a token for client id {self.client_id!r} in tenant "
            f"{self.tenant_id!r} (scope {self.scope}): {error or 'no error code'}: "
            f"{description.splitlines()[0] if description else 'no description'}"
        )

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API refused it) so the next :meth:`token` fetches a new one."""
        with self._lock:
            if self._app is None:
                return
            cache = self._app.token_cache
            for entry in list(
                cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN, target=[self.scope])
            ):
                if entry.get("secret") == token:
                    cache.remove_at(entry)

    def close(self) -> None:
        self._http_client.close()

    def _application(self) -> msal.ConfidentialClientApplication:
        """Built on first use: msal reads the OpenID configuration in its constructor, and an
        outage there must surface as our error, at token time, not when a session opens."""
        if self._app is not None:
            return self._app
        try:
            self._app = msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._credential,
                authority=self.authority,
                http_client=self._http_client,
                instance_discovery=False,
            )
        except RETRYABLE_TRANSPORT_ERRORS as exc:
            raise D365Unavailable(
                f"Entra ID unreachable for tenant {self.tenant_id!r} "
                f"({type(exc).__name__}: {exc or 'no detail'}); no token for client id "
                f"{self.client_id!r}"
            ) from None
        except (msal.exceptions.MsalServiceError, httpx.HTTPStatusError) as exc:
            raise D365Unavailable(
                f"Entra ID OpenID configuration for tenant {self.tenant_id!r} failed ({exc}); "
                f"no token for client id {self.client_id!r}"
            ) from None
        except ValueError as exc:
            raise D365AuthError(
                f"Entra ID does not know tenant {self.tenant_id!r} at {self.authority} "
                f"(client id {self.client_id!r}): {str(exc).splitlines()[0][:300]}"
            ) from None
        return self._app
