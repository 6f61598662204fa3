"""Sandbox wiring: the same clients as production, pointed at the simulators on loopback with
the sandbox's documented credentials (not secrets: they open only the simulators).

Only the composition root (:mod:`hl_d365_assets.defs.resources`) and sandbox tools (demo,
benchmark, tests) import this module, and the composition root only in sandbox mode.
"""

from __future__ import annotations

import dagster as dg

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland_retail.client import HeartlandRetailClient
from hl_d365_assets.resources import local_resources
from hl_d365_assets.sandbox.credentials import (
    SANDBOX_APP_ID,
    SANDBOX_APP_KEY,
    SANDBOX_RETAIL_SUBDOMAIN,
    SANDBOX_RETAIL_TOKEN,
)
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_TENANT_ID,
)
from hl_d365_assets.settings import Settings

SANDBOX_SIMULATOR_URL = "http://127.0.0.1:8765/ucp"
"""Where `hl-d365 heartland-sim serve` listens by default."""

SANDBOX_D365_URL = "http://127.0.0.1:8766"
"""Where `hl-d365 d365-sim` listens by default: both the OData environment and Entra ID."""

SANDBOX_RETAIL_URL = "http://127.0.0.1:8767/api"
"""Where `hl-d365 retail-sim` listens by default: the Heartland Retail simulator's API root."""


def heartland_client(base_url: str = SANDBOX_SIMULATOR_URL) -> HeartlandClient:
    """The Heartland simulator (`hl-d365 heartland-sim serve`) with the sandbox app id and key."""
    return HeartlandClient(base_url=base_url, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY)


def heartland_retail_client(base_url: str = SANDBOX_RETAIL_URL) -> HeartlandRetailClient:
    """The Heartland Retail simulator (`hl-d365 retail-sim`) with the sandbox API token."""
    return HeartlandRetailClient(
        subdomain=SANDBOX_RETAIL_SUBDOMAIN, token=SANDBOX_RETAIL_TOKEN, base_url=base_url
    )


def d365_client(url: str = SANDBOX_D365_URL) -> D365Client:
    """The D365 simulator (`hl-d365 d365-sim`, or the one `make demo` starts), which also plays
    Entra ID, reached by the same client code as the real service."""
    return D365Client(
        environment_url=url,
        identity_url_override=url,
        tenant_id=SANDBOX_TENANT_ID,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )


def sandbox_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource, against the simulators; ``HEARTLAND_SANDBOX_URL``,
    ``HEARTLAND_RETAIL_SANDBOX_URL`` and ``D365_SANDBOX_URL`` move them off their default ports.
    The production URLs are ignored, so the sandbox never sends its credentials to a real
    service."""
    return {
        "heartland": heartland_client(settings.heartland_sandbox_url or SANDBOX_SIMULATOR_URL),
        "heartland_retail": heartland_retail_client(
            settings.heartland_retail_sandbox_url or SANDBOX_RETAIL_URL
        ),
        "d365": d365_client(settings.d365_sandbox_url or SANDBOX_D365_URL),
        **local_resources(settings),
    }
