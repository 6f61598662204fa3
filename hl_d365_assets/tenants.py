"""Many merchants in one deployment: the tenants file, and how a run finds its tenant's files.

A tenant is one merchant account with its D365 legal entities, stores, base currency, time zone,
mapping overrides and its own data folder (landing zone, warehouse file, read copy, payroll
inbox). Tenants are data: a YAML file named by ``HL_D365_TENANTS_FILE`` (read in
:mod:`hl_d365_assets.settings`, the one settings reader), never code. Its format::

    tenants:
      - id: contoso_us                  # [a-z0-9_-], 1-40 characters: run tag, folder name
        legal_entities: [usrt]          # D365 dataAreaIds this merchant posts to
        merchant_account: MA-100234     # the acquirer's merchant account (reporting only)
        stores: [S001, S002, S003]      # store_ids of stores.csv this tenant owns
        base_currency: USD              # must equal its legal entities' base currency
        time_zone: America/New_York     # IANA zone: the tenant's business-day clock
        mappings: overrides/contoso_us  # optional folder of CSVs replacing the shipped ones
        data_dir: /srv/hl/contoso_us    # optional; default <HL_D365_DATA_DIR>/tenants/<id>

Relative paths are relative to the tenants file's folder.

A run's tenant is the value of its run tag :data:`TENANT_TAG` (``hl_d365/tenant``); a run without
it, or a deployment without a tenants file, is the single implicit tenant and uses the
deployment's own settings, exactly as before tenants existed. Resources that hold a path resolve
it at run start from the run's tag (:class:`RunTenantScoped`), and asset bodies that need the
tenant's clock or first day call :func:`run_settings`: one code location serves every tenant.

Why a DuckDB file per tenant rather than a schema per tenant in one file: DuckDB lets one process
write a file at a time, so one shared file would serialise every tenant's writes behind one lock,
and one tenant's corrupt or locked file would stop all of them. A file per tenant lets tenants
write at the same time, keeps a failure inside its tenant, and lets a tenant be moved, restored or
deleted as a folder (docs/tenants.md).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg
import yaml

from hl_d365_assets.settings import Settings, SettingsError, load_settings

TENANT_TAG = "hl_d365/tenant"
"""The run tag naming a run's tenant; its value is a tenant id. The queued run coordinator limits
runs per tenant on this key (``tag_concurrency_limits``, ``applyLimitPerUniqueValue``)."""

TENANTS_FILE_ENV = "HL_D365_TENANTS_FILE"
TENANT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
"""Ids go into run tags, run keys and folder names: lower case, no dots or slashes."""
FIELDS = {
    "id",
    "legal_entities",
    "merchant_account",
    "stores",
    "base_currency",
    "time_zone",
    "mappings",
    "data_dir",
}
REQUIRED = ("id", "legal_entities", "merchant_account", "stores", "base_currency", "time_zone")
LAYERED_MAPPINGS = "mappings_layered"
"""Folder under the tenant's data dir holding its effective mappings, one per content digest."""


@dataclass(frozen=True)
class Tenant:
    """One merchant account, as the tenants file declares it (paths resolved)."""

    id: str
    legal_entities: tuple[str, ...]
    merchant_account: str
    stores: tuple[str, ...]
    base_currency: str
    time_zone: str
    data_dir: Path
    mappings_overrides: Path | None = None


def tenant_tags(tenant_id: str) -> dict[str, str]:
    """The tags that make a run the tenant's: pass them to ``execute_in_process``, a
    ``RunRequest``, ``dagster job launch --tags`` or a backfill."""
    if not TENANT_ID.fullmatch(tenant_id):
        raise SettingsError(f"{tenant_id!r} is not a tenant id ([a-z0-9_-], 1-40 characters)")
    return {TENANT_TAG: tenant_id}


def tenant_of_run(tags: Mapping[str, str]) -> str | None:
    """The tenant id a run's tags name, or None for the single implicit tenant."""
    return tags.get(TENANT_TAG) or None


def load_tenants(settings: Settings) -> dict[str, Tenant]:
    """The tenants of ``settings.tenants_file``, by id, in file order; ``{}`` without a file.

    Raises :class:`SettingsError` naming the tenant and field that cannot run."""
    path = settings.tenants_file
    if path is None:
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise SettingsError(
            f"{TENANTS_FILE_ENV}={path}: cannot read it ({problem.strerror})"
        ) from None
    except yaml.YAMLError as problem:
        raise SettingsError(f"{TENANTS_FILE_ENV}={path} is not YAML: {problem}") from None
    entries = document.get("tenants") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SettingsError(f"{path}: expected a top-level 'tenants:' list of at least one tenant")
    tenants: dict[str, Tenant] = {}
    owner_of_store: dict[str, str] = {}
    owner_of_dir: dict[Path, str] = {}
    for number, entry in enumerate(entries, start=1):
        tenant = _tenant(path, number, entry, settings)
        if tenant.id in tenants:
            raise SettingsError(f"{path}: tenant id {tenant.id!r} appears twice")
        for store in tenant.stores:
            if store in owner_of_store:
                raise SettingsError(
                    f"{path}: store {store} belongs to both {owner_of_store[store]} and "
                    f"{tenant.id}; a store's sales go to one merchant's ledger"
                )
            owner_of_store[store] = tenant.id
        if tenant.data_dir in owner_of_dir:
            raise SettingsError(
                f"{path}: tenants {owner_of_dir[tenant.data_dir]} and {tenant.id} share the data "
                f"folder {tenant.data_dir}; each tenant needs its own warehouse file"
            )
        owner_of_dir[tenant.data_dir] = tenant.id
        tenants[tenant.id] = tenant
    return tenants


def _tenant(path: Path, number: int, entry: object, settings: Settings) -> Tenant:
    where = f"{path}: tenant #{number}"
    if not isinstance(entry, dict):
        raise SettingsError(f"{where} is not a mapping of fields")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise SettingsError(f"{where}: unknown field(s) {', '.join(unknown)}")
    missing = [name for name in REQUIRED if entry.get(name) in (None, "", [])]
    if missing:
        raise SettingsError(f"{where}: missing {', '.join(missing)}")
    tenant_id = str(entry["id"])
    if not TENANT_ID.fullmatch(tenant_id):
        raise SettingsError(f"{where}: id {tenant_id!r} is not [a-z0-9_-], 1-40 characters")
    where = f"{path}: tenant {tenant_id}"
    lists = {}
    for name in ("legal_entities", "stores"):
        value = entry[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise SettingsError(f"{where}: {name} must be a list of codes, e.g. [S001, S002]")
        lists[name] = tuple(value)
    currency = str(entry["base_currency"])
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise SettingsError(f"{where}: base_currency {currency!r} is not an ISO code like USD")
    zone = str(entry["time_zone"])
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{where}: time_zone {zone!r} is not an IANA time zone") from None
    overrides = None
    if entry.get("mappings"):
        overrides = (path.parent / str(entry["mappings"])).resolve()
        if not overrides.is_dir():
            raise SettingsError(f"{where}: mappings folder {overrides} does not exist")
    data_dir = (
        (path.parent / str(entry["data_dir"])).resolve()
        if entry.get("data_dir")
        else settings.data_dir / "tenants" / tenant_id
    )
    return Tenant(
        id=tenant_id,
        legal_entities=lists["legal_entities"],
        merchant_account=str(entry["merchant_account"]),
        stores=lists["stores"],
        base_currency=currency,
        time_zone=zone,
        data_dir=data_dir,
        mappings_overrides=overrides,
    )


def tenant_settings(settings: Settings, tenant: Tenant) -> Settings:
    """The deployment's settings as seen by one tenant: its data folder (so its landing zone,
    warehouse, read copy and payroll inbox), its clock and currency, and its layered mappings.

    Lays the mappings out on disk (:func:`layer_mappings`), so call it when a run or command
    starts, not at import."""
    return dataclasses.replace(
        settings,
        data_dir=tenant.data_dir,
        mappings_dir=layer_mappings(settings.mappings_dir, tenant),
        merchant_timezone=tenant.time_zone,
        base_currency=tenant.base_currency,
        payroll_inbox_url=None,
        payroll_archive_url=None,
    )


def settings_for_tenant(settings: Settings, tenant_id: str | None) -> Settings:
    """``settings`` for ``tenant_id`` of its tenants file; the settings themselves for None."""
    if tenant_id is None:
        return settings
    tenants = load_tenants(settings)
    if tenant_id not in tenants:
        known = ", ".join(tenants) or f"none: {TENANTS_FILE_ENV} is not set"
        raise SettingsError(f"tenant {tenant_id!r} is not in the tenants file (tenants: {known})")
    return tenant_settings(settings, tenants[tenant_id])


def run_settings(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> Settings:
    """The settings a step of this run works with: its tenant's, or the deployment's."""
    return settings_for_tenant(load_settings(), tenant_of_run(context.run.tags))


def layer_mappings(base: Path, tenant: Tenant) -> Path:
    """The tenant's effective mappings folder: every CSV of ``base`` (the shipped mappings or the
    deployment's), each replaced by the tenant's file of the same name when it has one, and
    ``stores.csv`` narrowed to the tenant's stores.

    Layering is by whole file: a finance team reads one file to know a tenant's rule, never a
    merge of two. The folder is named after the digest of its content and written once (to a
    temporary folder, then renamed), so concurrent runs of the tenant never see it half-written
    and an edited override makes a new folder instead of changing one a run is reading."""
    files: dict[str, bytes] = {p.name: p.read_bytes() for p in sorted(base.glob("*.csv"))}
    if tenant.mappings_overrides is not None:
        for override in sorted(tenant.mappings_overrides.glob("*.csv")):
            files[override.name] = override.read_bytes()
    files["stores.csv"] = _own_stores(files.get("stores.csv", b""), tenant)
    _check_legal_entities(files.get("legal_entities.csv", b""), files["stores.csv"], tenant)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    target = tenant.data_dir / LAYERED_MAPPINGS / digest.hexdigest()[:16]
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".layering-", dir=target.parent))
    for name, content in files.items():
        (staging / name).write_bytes(content)
    try:
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging)  # another run laid out the same content first
        if not target.is_dir():
            raise
    return target


def _own_stores(stores_csv: bytes, tenant: Tenant) -> bytes:
    """``stores.csv`` with only the tenant's stores; every one of them must be there."""
    rows = list(csv.DictReader(stores_csv.decode("utf-8").splitlines()))
    known = {row["store_id"] for row in rows}
    absent = [store for store in tenant.stores if store not in known]
    if absent:
        raise SettingsError(
            f"tenant {tenant.id}: store(s) {', '.join(absent)} are not in its stores.csv"
        )
    own = [row for row in rows if row["store_id"] in tenant.stores]
    foreign = sorted({row["legal_entity"] for row in own} - set(tenant.legal_entities))
    if foreign:
        raise SettingsError(
            f"tenant {tenant.id}: its stores belong to legal entit(ies) {', '.join(foreign)}, "
            f"which are not among its legal_entities {', '.join(tenant.legal_entities)}"
        )
    with tempfile.SpooledTemporaryFile(mode="w+", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(own)
        out.seek(0)
        return out.read().encode("utf-8")


def _check_legal_entities(entities_csv: bytes, stores_csv: bytes, tenant: Tenant) -> None:
    """Each of the tenant's legal entities is in its legal_entities.csv with its base currency."""
    currencies = {
        row["legal_entity"]: row["base_currency"]
        for row in csv.DictReader(entities_csv.decode("utf-8").splitlines())
    }
    for entity in tenant.legal_entities:
        if entity not in currencies:
            raise SettingsError(
                f"tenant {tenant.id}: legal entity {entity} is not in its legal_entities.csv"
            )
        if currencies[entity] != tenant.base_currency:
            raise SettingsError(
                f"tenant {tenant.id}: base_currency {tenant.base_currency} but legal entity "
                f"{entity}'s base currency in legal_entities.csv is {currencies[entity]}"
            )


class RunTenantScoped:
    """Mixed into every resource that holds a path: a run tagged with a tenant gets the resource
    rebuilt from that tenant's settings (:meth:`fields_for`), so its steps read and write only
    the tenant's files; an untagged run, a sensor or a schedule gets the resource as configured.

    Done in ``create_resource``, which makes the value a run's steps receive, so the resource
    stays what it was (a plain or a context-manager resource) for Dagster and for tests that
    build sensor contexts with it. Rebuilt through Dagster's own ``_with_updated_values``, the
    call Dagster makes to apply a run's resource config: the definitions' object is never
    changed, so two tenants' runs in one process each get their own."""

    @classmethod
    def fields_for(cls, settings: Settings) -> dict[str, str]:
        """The resource's path fields for ``settings``; the one place each path is derived."""
        raise NotImplementedError

    def create_resource(self, context: dg.InitResourceContext) -> object:
        run = context.run if context is not None else None
        tenant_id = tenant_of_run(run.tags) if run is not None else None
        if tenant_id is None:
            return self
        settings = settings_for_tenant(load_settings(), tenant_id)
        resource = self._with_updated_values(self.fields_for(settings))  # type: ignore[attr-defined]
        resource.setup_for_execution(context)
        return resource
