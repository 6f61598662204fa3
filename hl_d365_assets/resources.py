"""Production wiring: the Dagster resources that reach the real GP-API, Heartland Retail and D365
Finance.

Credentials reach the clients only through ``dagster.EnvVar``, resolved at run time and never
stored in config; which variables must be set is decided in :mod:`hl_d365_assets.settings`.
Nothing here imports the sandbox: its simulators' clients are wired in
:mod:`hl_d365_assets.sandbox.resources`, and the composition root
(:mod:`hl_d365_assets.defs.resources`) picks one of the two by ``HL_D365_MODE``. The resources
both modes share (warehouse, landing zone, mappings, alert webhook) are built here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from hl_d365_assets.alerts import AlertWebhookResource
from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.heartland_retail.client import HeartlandRetailClient
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.payroll_inbox import PayrollInbox
from hl_d365_assets.settings import Settings
from hl_d365_assets.tenants import RunTenantScoped
from hl_d365_assets.warehouse import WarehouseResource


class LandingZoneResource(RunTenantScoped, dg.ConfigurableResource):
    """Where producers write segments and the raw layer reads them."""

    root: str

    @classmethod
    def fields_for(cls, settings: Settings) -> dict[str, str]:
        return {"root": str(settings.landing_dir)}

    @property
    def zone(self) -> LandingZone:
        return LandingZone(Path(self.root))


class PayrollInboxResource(RunTenantScoped, dg.ConfigurableResource):
    """Where payroll registers and bank statements are dropped, and where they are archived:
    folders or any fsspec URLs (``HL_D365_PAYROLL_INBOX`` / ``HL_D365_PAYROLL_ARCHIVE``)."""

    inbox: str
    archive: str

    @classmethod
    def fields_for(cls, settings: Settings) -> dict[str, str]:
        return {"inbox": settings.payroll_inbox, "archive": settings.payroll_archive}

    def open(self) -> PayrollInbox:
        return PayrollInbox(self.inbox, self.archive)


class MappingsResource(RunTenantScoped, dg.ConfigurableResource):
    """The versioned CSV mapping files finance edits (see mappings/README.md); a tenant's run
    gets its tenant's layered folder (docs/tenants.md)."""

    directory: str

    @classmethod
    def fields_for(cls, settings: Settings) -> dict[str, str]:
        return {"directory": str(settings.mappings_dir)}

    def sha256(self) -> str:
        """Fingerprint of every mapping file, recorded on each canonical materialisation."""
        digest = hashlib.sha256()
        for path in sorted(Path(self.directory).glob("*.csv")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def heartland_client(settings: Settings) -> HeartlandClient:
    """The real GP-API at ``HEARTLAND_API_URL``; app id and key read through ``EnvVar``."""
    return HeartlandClient(
        base_url=settings.heartland_api_url,
        app_id=dg.EnvVar("HEARTLAND_APP_ID"),
        app_key=dg.EnvVar("HEARTLAND_APP_KEY"),
    )


def heartland_retail_client() -> HeartlandRetailClient:
    """The real Heartland Retail account: subdomain and API token read through ``EnvVar``."""
    return HeartlandRetailClient(
        subdomain=dg.EnvVar("HEARTLAND_RETAIL_SUBDOMAIN"),
        token=dg.EnvVar("HEARTLAND_RETAIL_TOKEN"),
    )


def d365_client(settings: Settings) -> D365Client:
    """Real D365 Finance: environment, tenant, client id and secret all read through ``EnvVar``;
    the Entra ID host (``D365_AUTHORITY_HOST``, not a secret) from the settings."""
    return D365Client(
        authority_host=settings.d365_authority_host,
        environment_url=dg.EnvVar("D365_ENVIRONMENT_URL"),
        tenant_id=dg.EnvVar("D365_TENANT_ID"),
        client_id=dg.EnvVar("D365_CLIENT_ID"),
        client_secret=dg.EnvVar("D365_CLIENT_SECRET"),
    )


def alert_webhook(settings: Settings) -> AlertWebhookResource:
    """Chat and paging webhook URLs carry their secret in the URL: read through ``EnvVar``."""
    if settings.alert_webhook_configured:
        return AlertWebhookResource(url=dg.EnvVar("HL_D365_ALERT_WEBHOOK_URL"))
    return AlertWebhookResource()


def local_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """What both modes share: the warehouse, the landing zone, the mappings, the alert webhook."""
    return {
        "alert_webhook": alert_webhook(settings),
        "warehouse": WarehouseResource(**WarehouseResource.fields_for(settings)),
        "landing": LandingZoneResource(**LandingZoneResource.fields_for(settings)),
        "mappings": MappingsResource(**MappingsResource.fields_for(settings)),
        "payroll_inbox": PayrollInboxResource(**PayrollInboxResource.fields_for(settings)),
    }


def production_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource, against the real systems; refuses while a production setting is missing."""
    settings.require_complete()
    return {
        "heartland": heartland_client(settings),
        "heartland_retail": heartland_retail_client(),
        "d365": d365_client(settings),
        **local_resources(settings),
    }
