"""Entra ID access tokens for D365, through msal, with httpx underneath.

D365 Finance takes a client-credentials token: ``POST <authority_host>/<tenant>/oauth2/v2.0/token``
with ``scope=<environment url>/.default`` (shared/reference/d365-odata.md section 5), answered by
``{"token_type": "Bearer", "expires_in": 3599, "access_token": ...}``. msal does the protocol,
caches the token and serves it until five minutes before it expires, then fetches a new one.

msal reaches the network only through its ``http_client`` hook, for which
:class:`MsalHttpClient` is a thin requests-like face of an ``httpx.Client`` — one whose transport
is the project's :class:`~hl_d365_assets.http.RetryingTransport`, so Entra ID requests are
retried by the same policy as every other request (msal leaves retrying to its
``http_client``): with the simulator's in-process transport inside it in tests, a real connection
pool in production. msal 1.39 uses ``get(url, params=, headers=)`` for the OpenID configuration
and ``post(url, params=, data=, headers=)`` for the token, and reads ``status_code``, ``text`` and
``headers`` of the answer (``raise_for_status`` on 5xx). The authority must be ``https://`` — msal
refuses anything else — so the sandbox keeps the real authority URL and the adapter routes its
requests to the loopback simulator (``route_to``). Instance discovery is off: the authority is
configuration (``D365_AUTHORITY_HOST``, for sovereign clouds), not something to ask Microsoft
about; the token endpoint is whatever that host's OpenID configuration names.

:class:`EntraAuth` is the ``httpx.Auth`` flow of the OData client: msal's token on each request;
when D365 refuses it anyway (401: expired or revoked early) it is dropped from msal's cache, a new
one fetched, and the request sent once more. Errors name the tenant and the client id — never
the secret, the key or a token.
"""

import logging
import threading
from collections.abc import Generator, Mapping
from urllib.parse import urlencode

import httpx
import msal

from hl_d365_assets.d365.errors import (
    D365AuthError,
    D365Unavailable,
    failure_text,
    parse_odata_error,
)
from hl_d365_assets.http import RETRYABLE, NoAnswer, request_name
from hl_d365_assets.settings import DEFAULT_AUTHORITY_HOST

logger = logging.getLogger(__name__)


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
    """A requests-like ``get``/``post``/``close`` over an ``httpx.Client`` for msal's
    ``http_client``; the client's transport does the retrying."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        route_from: str | None = None,
        route_to: str | None = None,
    ) -> None:
        """``route_from``/``route_to``: URLs starting with ``route_from`` (the authority host)
        are sent to ``route_to`` instead — the sandbox's loopback simulator."""
        self._http = http
        self._route_from = route_from.rstrip("/") if route_from else None
        self._route_to = route_to.rstrip("/") if route_to else None
        self.token_requests = 0
        """Token requests msal sent (its cache misses)."""

    def get(self, url: str, params=None, headers=None, **kwargs) -> _MsalResponse:
        return self._send("GET", url, params=params, headers=headers, timeout=kwargs.get("timeout"))

    def post(self, url: str, params=None, data=None, headers=None, **kwargs) -> _MsalResponse:
        content = urlencode(data) if isinstance(data, Mapping) else data
        headers = dict(headers or {})
        if isinstance(data, Mapping):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if url.endswith("/token"):
            self.token_requests += 1
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

    def _send(self, method: str, url: str, **options) -> _MsalResponse:
        if options.get("timeout") is None:
            options.pop("timeout", None)
        # Asking for a token, or for the OpenID configuration, changes nothing: safe to repeat.
        response = self._http.request(
            method, self._routed(url), extensions={RETRYABLE: True}, **options
        )
        return _MsalResponse(response)

    def _routed(self, url: str) -> str:
        if self._route_from and self._route_to and url.startswith(self._route_from):
            return self._route_to + url[len(self._route_from) :]
        return url


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
            except httpx.TransportError as exc:
                raise D365Unavailable(
                    f"Entra ID token endpoint for tenant {self.tenant_id!r} unreachable "
                    f"({_failure(exc)}); no token for client id {self.client_id!r}"
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
        except httpx.TransportError as exc:
            raise D365Unavailable(
                f"Entra ID unreachable for tenant {self.tenant_id!r} ({_failure(exc)}); "
                f"no token for client id {self.client_id!r}"
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


class EntraAuth(httpx.Auth):
    """The OData requests' ``httpx.Auth`` flow: msal's token, renewed once on a 401."""

    requires_response_body = True

    def __init__(self, tokens: EntraTokenProvider) -> None:
        self._tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._tokens.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        failure = failure_text(401, parse_odata_error(response.content), response.text)
        logger.warning("%s: %s; fetching a new access token once", request_name(request), failure)
        self._tokens.invalidate(token)
        request.headers["Authorization"] = f"Bearer {self._tokens.token()}"
        yield request


def _failure(exc: httpx.TransportError) -> str:
    if isinstance(exc, NoAnswer):
        return exc.failure
    return f"{type(exc).__name__}: {exc or 'no detail'}"
