"""Dagster resources for the landing zone and the finance-owned mapping files.

The warehouse resource lives in :mod:`hl_d365_assets.warehouse`. Defaults come from
:mod:`hl_d365_assets.settings`, the one place configuration is read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from hl_d365_assets.alerts import AlertWebhookResource
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.heartland.client import SANDBOX_BASE_URL, HeartlandClient
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_TENANT_ID,
)
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import WarehouseResource

SANDBOX_SIMULATOR_URL = "http://127.0.0.1:8765/ucp"
"""Where `hl-d365 heartland-sim serve` listens by default."""

SANDBOX_D365_URL = "http://127.0.0.1:8766"
"""Where `hl-d365 d365-sim` listens by default: both the OData environment and Entra ID."""


class LandingZoneResource(dg.ConfigurableResource):
    """Where producers write segments and the raw layer reads them."""

    root: str

    @property
    def zone(self) -> LandingZone:
        return LandingZone(Path(self.root))


class MappingsResource(dg.ConfigurableResource):
    """The versioned CSV mapping files finance edits (see mappings/README.md)."""

    directory: str

    def sha256(self) -> str:
        """Fingerprint of every mapping file, recorded on each canonical materialisation."""
        digest = hashlib.sha256()
        for path in sorted(Path(self.directory).glob("*.csv")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def heartland_client(environ: Mapping[str, str] | None = None) -> HeartlandClient:
    """Real GP-API when ``HEARTLAND_APP_KEY`` is set (id and key read through ``EnvVar`` at run
    time, never stored in config); otherwise the sandbox: the simulator on loopback
    (`hl-d365 heartland-sim serve`) with its documented credentials."""
    env = os.environ if environ is None else environ
    if env.get("HEARTLAND_APP_KEY"):
        return HeartlandClient(
            base_url=env.get("HEARTLAND_API_URL", SANDBOX_BASE_URL),
            app_id=dg.EnvVar("HEARTLAND_APP_ID"),
            app_key=dg.EnvVar("HEARTLAND_APP_KEY"),
        )
    return HeartlandClient(
        base_url=env.get("HEARTLAND_API_URL", SANDBOX_SIMULATOR_URL),
        app_id=SANDBOX_APP_ID,
        app_key=SANDBOX_APP_KEY,
    )


def alert_webhook(environ: Mapping[str, str] | None = None) -> AlertWebhookResource:
    """Chat and paging webhook URLs carry their secret in the URL: read through ``EnvVar``."""
    env = os.environ if environ is None else environ
    if env.get("HL_D365_ALERT_WEBHOOK_URL"):
        return AlertWebhookResource(url=dg.EnvVar("HL_D365_ALERT_WEBHOOK_URL"))
    return AlertWebhookResource()


def d365_client(environ: Mapping[str, str] | None = None) -> D365Client:
    """Real D365 Finance when ``D365_CLIENT_SECRET`` is set: environment, tenant, client id and
    secret all read through ``EnvVar`` at run time. Otherwise the sandbox: the simulator on
    loopback (`hl-d365 d365-sim`, or the one `make demo` starts) with its documented
    credentials, reached by the same client code."""
    env = os.environ if environ is None else environ
    if env.get("D365_CLIENT_SECRET"):
        return D365Client(
            environment_url=dg.EnvVar("D365_ENVIRONMENT_URL"),
            tenant_id=dg.EnvVar("D365_TENANT_ID"),
            client_id=dg.EnvVar("D365_CLIENT_ID"),
            client_secret=dg.EnvVar("D365_CLIENT_SECRET"),
        )
    url = env.get("D365_SANDBOX_URL", SANDBOX_D365_URL)
    return D365Client(
        environment_url=url,
        identity_url_override=url,
        tenant_id=SANDBOX_TENANT_ID,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "heartland": heartland_client(),
        "d365": d365_client(),
        "alert_webhook": alert_webhook(),
        "warehouse": WarehouseResource(
            database=str(settings.warehouse_path), read_copy=str(settings.read_copy_path)
        ),
        "landing": LandingZoneResource(root=str(settings.landing_dir)),
        "mappings": MappingsResource(directory=str(settings.mappings_dir)),
    }
