"""The one place where configuration is read from the environment.

Two modes, chosen explicitly by ``HL_D365_MODE`` and never guessed from which secrets happen to
be set:

- ``sandbox`` (the default): Heartland and D365 are the project's own simulators on loopback,
  reached with the sandbox's documented credentials; the warehouse is a DuckDB file under
  ``./data``. Setting a real secret (``HEARTLAND_APP_KEY``, ``D365_CLIENT_SECRET``) in sandbox
  mode changes nothing: the sandbox never reaches a real system.
- ``production``: the real GP-API and D365 Finance. Every setting in ``PRODUCTION_REQUIRED``
  must be set; the Dagster definitions and ``hl-d365 post`` refuse to start otherwise, with one
  message naming each missing setting. Production never falls back to a simulator, and no
  production module imports the sandbox package.

Any other value of ``HL_D365_MODE`` is an error naming the allowed ones.

================================  ==========================  ============================================
variable                          sandbox                     production
================================  ==========================  ============================================
``HL_D365_MODE``                  ``sandbox`` (default)       ``production``
``HL_D365_DATA_DIR``              ``./data``                  required: landing zone, warehouse, read copy
``HL_D365_TIMEZONE``              ``America/New_York``        required: the merchant's IANA zone, which
                                                              decides each business day's boundaries
``HL_D365_FIRST_BUSINESS_DAY``    ``2026-01-01``              optional, same default: first partition
``HL_D365_BASE_CURRENCY``         ``USD``                     optional, same default
``HL_D365_MAPPINGS_DIR``          the shipped ``mappings/``   optional: a folder of the finance-owned
                                                              mapping CSVs replacing the shipped ones
``HL_D365_TENANTS_FILE``          unset: one implicit tenant  optional, same: a YAML file of tenants
                                                              (merchants), each with its own data
                                                              folder and mappings (docs/tenants.md)
``HL_D365_ALERT_WEBHOOK_URL``     unset: alerts stay in       optional, same (secret: read through
                                  ``ops.alerts``              ``EnvVar`` only)
``HEARTLAND_API_URL``             ignored (the simulator)     required: GP-API base including ``/ucp``,
                                                              ``https://apis.globalpay.com/ucp`` (live) or
                                                              ``https://apis.sandbox.globalpay.com/ucp``
``HEARTLAND_APP_ID``              ignored (sandbox app id)    required (``EnvVar``)
``HEARTLAND_APP_KEY``             the pipeline uses the       required (secret, ``EnvVar``); also the
                                  sandbox app key; the        key the webhook receiver checks
                                  receiver checks with this   signatures with
                                  one unless ``--sandbox``
``HEARTLAND_RETAIL_SUBDOMAIN``    ignored (the simulator)     required (``EnvVar``): the Heartland Retail
                                                              account, ``https://<it>.retail.heartland.us``
``HEARTLAND_RETAIL_TOKEN``        ignored (sandbox token)     required (secret, ``EnvVar``): an API token
``D365_ENVIRONMENT_URL``          ignored (the simulator)     required (``EnvVar``), e.g.
                                                              ``https://contoso.operations.dynamics.com``
``D365_TENANT_ID``                ignored                     required (``EnvVar``): Entra ID tenant
``D365_CLIENT_ID``                ignored                     required (``EnvVar``): app registration id
``D365_CLIENT_SECRET``            ignored                     required (secret, ``EnvVar``)
``D365_AUTHORITY_HOST``           ``https://login.            optional, same default: the Entra ID host
                                  microsoftonline.com``       (sovereign clouds use their own, e.g.
                                                              ``https://login.microsoftonline.us``)
``HL_D365_PAYMENT_STATUS_URL``    ``http://127.0.0.1:8787/``  optional: where GP posts the outcome of a
                                  ``webhooks/heartland``      payment link (its ``status_url``): the
                                  (the local receiver)        receiver's public HTTPS address; unset,
                                                              links carry none and only the poll sees
                                                              their payments
``HL_D365_PAYROLL_JOURNAL_NAME``  ``PayrollJrn``               optional, same default: the D365 journal
                                                              name pay runs are posted under
``HL_D365_PAYROLL_INBOX``         ``<data dir>/payroll/``     optional, same default: where payroll
                                  ``inbox``                   registers and bank statements are dropped
                                                              (a folder or any fsspec URL; see
                                                              docs/payroll-intake.md)
``HL_D365_PAYROLL_ARCHIVE``       ``<data dir>/payroll/``     optional, same default: where dropped
                                  ``archive``                 files are moved, by content hash
``HL_D365_FINGERPRINT_KEY``       the fixed, documented       required (secret) when a column mapping
                                  ``SANDBOX_FINGERPRINT_KEY`` uses the format ``fingerprint``: the
                                                              HMAC-SHA256 key of bank-account
                                                              fingerprints (docs/payroll-intake.md)
``HL_D365_MAPPING_MODEL_URL``     unset: suggestions offline  optional, same: an OpenAI-compatible
                                                              endpoint that may re-rank mapping
                                                              suggestions (docs/mapping-copilot.md)
``HL_D365_MAPPING_MODEL``         unset                       optional: its model; both must be set
``HL_D365_MAPPING_MODEL_API_KEY`` unset                       optional (secret): its key
``HEARTLAND_SANDBOX_URL``         ``http://127.0.0.1:8765/``  ignored: where the Heartland simulator
                                  ``ucp``                     listens (``hl-d365 heartland-sim``)
``D365_SANDBOX_URL``              ``http://127.0.0.1:8766``   ignored: where the D365 simulator listens
                                                              (``hl-d365 d365-sim``)
``HEARTLAND_RETAIL_SANDBOX_URL``  ``http://127.0.0.1:8767/``  ignored: where the Heartland Retail
                                  ``api``                     simulator listens (``hl-d365 retail-sim``)
================================  ==========================  ============================================

The raw layer's load-health checks (docs/ingestion.md, "Load health"), optional in both modes,
defaults in :data:`LOAD_HEALTH_DEFAULTS`:

- ``HL_D365_QUARANTINE_WARN_SHARE`` (0.02): a raw day whose quarantined / (loaded +
  quarantined) is above it warns;
- ``HL_D365_QUARANTINE_FAIL_SHARE`` (0.25): above it the day's load fails, blocking canonical,
  recon and gl of the run, and raises an ``ops.alerts`` row;
- ``HL_D365_VOLUME_WARN_RATIO`` (0.5): a day loading fewer rows than this x the median of
  recent loaded days warns (a day with zero events included);
- ``HL_D365_VOLUME_BASELINE_DAYS`` (7): how many loaded days make "recent days".

Each takes per-source overrides: append ``_<SOURCE>`` or ``_<SOURCE>_<ENTITY>`` in capitals
(``HL_D365_QUARANTINE_FAIL_SHARE_HEARTLAND_POS_TICKETS=0.4``); the most specific one set wins
(:meth:`Settings.load_health`).

Secrets are checked for presence here but never read into :class:`Settings`: they reach the
resources through ``dagster.EnvVar`` at run time, so they never sit in a config object that
might be logged. The webhook receiver, which is not a Dagster resource, reads its key through
:func:`secret` when it starts.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hl_d365_assets.package_files import package_folder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout (``workspace.yaml``, ``dagster.yaml``): meaningful for the demo, the
benchmark and the tests, which run from a checkout. Packaged code never finds its files through
it; see :mod:`hl_d365_assets.package_files`."""

MODE_ENV = "HL_D365_MODE"
SANDBOX = "sandbox"
PRODUCTION = "production"
MODES = (SANDBOX, PRODUCTION)

PRODUCTION_REQUIRED: dict[str, str] = {
    "HL_D365_DATA_DIR": "where the landing zone and the warehouse live",
    "HL_D365_TIMEZONE": "the merchant's IANA time zone, e.g. America/Chicago",
    "HEARTLAND_API_URL": "the GP-API base URL, e.g. https://apis.globalpay.com/ucp",
    "HEARTLAND_APP_ID": "the GP-API app id",
    "HEARTLAND_APP_KEY": "the GP-API app key (secret)",
    "HEARTLAND_RETAIL_SUBDOMAIN": "the Heartland Retail account, as in https://<it>.retail.heartland.us",
    "HEARTLAND_RETAIL_TOKEN": "a Heartland Retail API token (secret)",
    "D365_ENVIRONMENT_URL": "the D365 Finance environment, https://<name>.operations.dynamics.com",
    "D365_TENANT_ID": "the Entra ID tenant of the app registration",
    "D365_CLIENT_ID": "the app registration's client id",
    "D365_CLIENT_SECRET": "the app registration's client secret (secret)",
}
"""What production cannot start without, in the order an operator sets them up."""

FINGERPRINT_KEY_ENV = "HL_D365_FINGERPRINT_KEY"
FINGERPRINT_FORMAT = "fingerprint"
CONDITIONALLY_REQUIRED: dict[str, str] = {
    FINGERPRINT_KEY_ENV: "the key of bank-account fingerprints (secret), needed because a "
    "column mapping uses the format fingerprint",
}
"""What production cannot start without when the configuration uses it."""
SANDBOX_FINGERPRINT_KEY = "hl-d365-sandbox-fingerprint-key (public: sandbox data only)"
"""The sandbox's fingerprint key: fixed and published, so sandbox fingerprints are the same on
every machine; it protects nothing, which is why production never uses it."""

Environ = Mapping[str, str]

LOAD_HEALTH_DEFAULTS: dict[str, float] = {
    "HL_D365_QUARANTINE_WARN_SHARE": 0.02,
    "HL_D365_QUARANTINE_FAIL_SHARE": 0.25,
    "HL_D365_VOLUME_WARN_RATIO": 0.5,
    "HL_D365_VOLUME_BASELINE_DAYS": 7,
}
"""Defaults of the raw layer's load-health checks. The sandbox's injected defects quarantine
well under 1% of a day, so a demo day passes; a day whose payload shape is wrong for every row
quarantines 100% and fails."""


SANDBOX_PAYMENT_STATUS_URL = "http://127.0.0.1:8787/webhooks/heartland/payments"
"""The receiver `hl-d365 webhook serve` runs on by default: where sandbox links send their outcome."""

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
"""Entra ID's public-cloud host; sovereign clouds (US Government, China) have their own."""


class SettingsError(RuntimeError):
    """The environment asks for something that cannot run: the message says what to change."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    mappings_dir: Path
    merchant_timezone: str
    first_business_day: date
    base_currency: str
    mode: str = SANDBOX
    heartland_api_url: str | None = None
    """Production only: the GP-API."""
    heartland_sandbox_url: str | None = None
    """Sandbox only: where the Heartland simulator listens, when not on its default port."""
    d365_sandbox_url: str | None = None
    """Sandbox only: where the D365 simulator listens, when not on its default port."""
    heartland_retail_sandbox_url: str | None = None
    """Sandbox only: where the Heartland Retail simulator listens (its ``/api`` root), when not
    on its default port."""
    dagster_home: Path | None = None
    """``DAGSTER_HOME``, Dagster's own variable: the instance `hl-d365 backfill` records runs in
    (unset: the project's ``.dagster_home``, as the Makefile sets it)."""
    d365_authority_host: str = DEFAULT_AUTHORITY_HOST
    """``D365_AUTHORITY_HOST``: where the Entra ID tenant's token endpoint lives. In the sandbox
    msal still names this host and its ``http_client`` routes the requests to the simulator."""
    payment_status_url: str | None = None
    """``HL_D365_PAYMENT_STATUS_URL``: the ``status_url`` of payment links (the receiver)."""
    payroll_journal_name: str = "PayrollJrn"
    """``HL_D365_PAYROLL_JOURNAL_NAME``: the D365 journal name (template) pay runs post under."""
    alert_webhook_configured: bool = False
    """Whether ``HL_D365_ALERT_WEBHOOK_URL`` is set; the URL itself carries a secret."""
    payroll_inbox_url: str | None = None
    """``HL_D365_PAYROLL_INBOX`` as set (a folder or fsspec URL); see :attr:`payroll_inbox`."""
    payroll_archive_url: str | None = None
    """``HL_D365_PAYROLL_ARCHIVE`` as set; see :attr:`payroll_archive`."""
    mapping_model_url: str | None = None
    """``HL_D365_MAPPING_MODEL_URL``: an OpenAI-compatible endpoint (``…/v1``) that may re-rank
    mapping suggestions (docs/mapping-copilot.md); unset, the suggestions stay offline. Its key,
    ``HL_D365_MAPPING_MODEL_API_KEY``, is a secret read when a request is made (:func:`secret`)."""
    mapping_model: str | None = None
    """``HL_D365_MAPPING_MODEL``: the model name sent to that endpoint; both must be set."""
    tenants_file: Path | None = None
    """``HL_D365_TENANTS_FILE``: the tenants (merchants) this deployment serves, read by
    :func:`hl_d365_assets.tenants.load_tenants`; unset, there is one implicit tenant."""
    missing: tuple[str, ...] = ()
    """Production settings that are not set (always empty in the sandbox)."""
    load_health_overrides: Mapping[str, float] = field(default_factory=dict)
    """The ``HL_D365_QUARANTINE_*`` and ``HL_D365_VOLUME_*`` variables that are set, by name
    (global ones and per-source overrides), already parsed; :meth:`load_health` resolves them."""

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def read_copy_path(self) -> Path:
        """The analysts' copy, republished after every run (see docs/warehouse.md)."""
        return self.data_dir / "warehouse_read.duckdb"

    @property
    def payroll_inbox(self) -> str:
        """Where payroll registers and bank statements are dropped (docs/payroll-intake.md)."""
        return self.payroll_inbox_url or str(self.data_dir / "payroll" / "inbox")

    @property
    def payroll_archive(self) -> str:
        """Where dropped files are moved once handled, one folder per content hash."""
        return self.payroll_archive_url or str(self.data_dir / "payroll" / "archive")

    @property
    def production(self) -> bool:
        return self.mode == PRODUCTION

    def load_health(self, source: str, entity: str) -> LoadHealthThresholds:
        """The thresholds of one raw source entity: for each setting, the most specific variable
        set (``NAME_SOURCE_ENTITY``, then ``NAME_SOURCE``, then ``NAME``), else its default."""

        def value(name: str) -> float:
            for candidate in (
                f"{name}_{source}_{entity}".upper(),
                f"{name}_{source}".upper(),
                name,
            ):
                if candidate in self.load_health_overrides:
                    return self.load_health_overrides[candidate]
            return LOAD_HEALTH_DEFAULTS[name]

        thresholds = LoadHealthThresholds(
            quarantine_warn_share=value("HL_D365_QUARANTINE_WARN_SHARE"),
            quarantine_fail_share=value("HL_D365_QUARANTINE_FAIL_SHARE"),
            volume_warn_ratio=value("HL_D365_VOLUME_WARN_RATIO"),
            volume_baseline_days=int(value("HL_D365_VOLUME_BASELINE_DAYS")),
        )
        if thresholds.quarantine_warn_share > thresholds.quarantine_fail_share:
            raise SettingsError(
                f"{source}.{entity}: the quarantine warn share {thresholds.quarantine_warn_share} "
                f"is above its fail share {thresholds.quarantine_fail_share}; set "
                "HL_D365_QUARANTINE_WARN_SHARE at or below HL_D365_QUARANTINE_FAIL_SHARE"
            )
        return thresholds

    def require_complete(self) -> Settings:
        """These settings, or the one error that lists every production setting still missing.

        Called wherever real systems would be reached (the Dagster definitions, ``hl-d365
        post``), so production refuses to start instead of falling back to a simulator.
        """
        if not self.missing:
            return self
        purposes = {**PRODUCTION_REQUIRED, **CONDITIONALLY_REQUIRED}
        listed = "\n".join(f"  {name}: {purposes[name]}" for name in self.missing)
        raise SettingsError(
            f"{MODE_ENV}=production, but {len(self.missing)} required setting"
            f"{'s are' if len(self.missing) > 1 else ' is'} not set:\n{listed}\n"
            "Set them in the environment of every process that runs the pipeline (the Dagster "
            f"code server, daemon and webserver), or unset {MODE_ENV} to run the sandbox."
        )


@dataclass(frozen=True)
class LoadHealthThresholds:
    """When a raw day's load is not healthy (docs/ingestion.md, "Load health")."""

    quarantine_warn_share: float
    """Share of a day's records (quarantined / (loaded + quarantined)) above which it warns."""
    quarantine_fail_share: float
    """Above this share the day fails and nothing downstream of it is built."""
    volume_warn_ratio: float
    """A day loading fewer rows than this x the recent days' median warns."""
    volume_baseline_days: int
    """How many loaded days (nearest to the day) the median is taken over."""


def load_settings(environ: Environ | None = None) -> Settings:
    """Read and check the configuration; raises :class:`SettingsError` naming what is wrong."""
    env = os.environ if environ is None else environ
    mode = _mode(env)
    timezone = _value(env, "HL_D365_TIMEZONE") or "America/New_York"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"HL_D365_TIMEZONE={timezone!r} is not an IANA time zone (e.g. America/New_York)"
        ) from None
    first_day = _value(env, "HL_D365_FIRST_BUSINESS_DAY") or "2026-01-01"
    try:
        first_business_day = date.fromisoformat(first_day)
    except ValueError:
        raise SettingsError(
            f"HL_D365_FIRST_BUSINESS_DAY={first_day!r} is not a date like 2026-01-01"
        ) from None
    mappings = _value(env, "HL_D365_MAPPINGS_DIR")
    mappings_dir = (
        Path(mappings).resolve() if mappings else package_folder("hl_d365_assets.mappings")
    )
    authority_host = (_value(env, "D365_AUTHORITY_HOST") or DEFAULT_AUTHORITY_HOST).rstrip("/")
    if not authority_host.startswith("https://") or authority_host.count("/") != 2:
        # msal refuses any authority that is not https; a path would end up inside the tenant.
        raise SettingsError(
            f"D365_AUTHORITY_HOST={authority_host!r} is not an https host like "
            f"{DEFAULT_AUTHORITY_HOST} (no path: the tenant is D365_TENANT_ID)"
        )
    return Settings(
        mode=mode,
        data_dir=Path(_value(env, "HL_D365_DATA_DIR") or Path.cwd() / "data").resolve(),
        mappings_dir=mappings_dir,
        merchant_timezone=timezone,
        first_business_day=first_business_day,
        base_currency=_value(env, "HL_D365_BASE_CURRENCY") or "USD",
        heartland_api_url=_value(env, "HEARTLAND_API_URL") or None,
        heartland_sandbox_url=_value(env, "HEARTLAND_SANDBOX_URL") or None,
        d365_sandbox_url=_value(env, "D365_SANDBOX_URL") or None,
        heartland_retail_sandbox_url=_value(env, "HEARTLAND_RETAIL_SANDBOX_URL") or None,
        d365_authority_host=authority_host,
        dagster_home=Path(_value(env, "DAGSTER_HOME")).resolve()
        if _value(env, "DAGSTER_HOME")
        else None,
        payment_status_url=_value(env, "HL_D365_PAYMENT_STATUS_URL")
        or (None if mode == PRODUCTION else SANDBOX_PAYMENT_STATUS_URL),
        payroll_journal_name=_value(env, "HL_D365_PAYROLL_JOURNAL_NAME") or "PayrollJrn",
        alert_webhook_configured=bool(_value(env, "HL_D365_ALERT_WEBHOOK_URL")),
        payroll_inbox_url=_value(env, "HL_D365_PAYROLL_INBOX") or None,
        payroll_archive_url=_value(env, "HL_D365_PAYROLL_ARCHIVE") or None,
        mapping_model_url=_value(env, "HL_D365_MAPPING_MODEL_URL") or None,
        mapping_model=_value(env, "HL_D365_MAPPING_MODEL") or None,
        tenants_file=Path(_value(env, "HL_D365_TENANTS_FILE")).resolve()
        if _value(env, "HL_D365_TENANTS_FILE")
        else None,
        missing=(
            tuple(name for name in PRODUCTION_REQUIRED if not _value(env, name))
            + (
                (FINGERPRINT_KEY_ENV,)
                if not _value(env, FINGERPRINT_KEY_ENV) and _mappings_use_fingerprints(mappings_dir)
                else ()
            )
            if mode == PRODUCTION
            else ()
        ),
        load_health_overrides=_load_health_overrides(env),
    )


def _load_health_overrides(env: Environ) -> dict[str, float]:
    """Every load-health variable set, global or per source, checked for a usable value."""
    overrides: dict[str, float] = {}
    for name in sorted(env):
        setting = next(
            (s for s in LOAD_HEALTH_DEFAULTS if name == s or name.startswith(s + "_")), None
        )
        if setting is None or not _value(env, name):
            continue
        text = _value(env, name)
        try:
            number = float(text)
        except ValueError:
            number = -1.0
        if setting == "HL_D365_VOLUME_BASELINE_DAYS":
            usable = number >= 1 and number == int(number)
            expected = "a whole number of days, 1 or more"
        else:
            usable = 0 <= number <= 1
            expected = "a share between 0 and 1, e.g. 0.25"
        if not usable:
            raise SettingsError(f"{name}={text!r} is not {expected}")
        overrides[name] = number
    return overrides


def secret(name: str, environ: Environ | None = None) -> str:
    """A secret's value for code that is not a Dagster resource (the webhook receiver's app
    key), read when needed and never kept; ``""`` when unset."""
    return _value(os.environ if environ is None else environ, name)


def fingerprint_key(settings: Settings, environ: Environ | None = None) -> bytes | None:
    """The HMAC key of bank-account fingerprints, read when a file is read and never kept in
    :class:`Settings`: the sandbox's published :data:`SANDBOX_FINGERPRINT_KEY`, or production's
    ``HL_D365_FINGERPRINT_KEY`` (None when unset; production refuses to start then, if a mapping
    uses the format, and the column reader refuses to read such a column without a key)."""
    if not settings.production:
        return SANDBOX_FINGERPRINT_KEY.encode()
    return secret(FINGERPRINT_KEY_ENV, environ).encode() or None


def _mappings_use_fingerprints(mappings_dir: Path) -> bool:
    """Whether a column mapping (``*_columns.csv``: column, export_header, required, format)
    fingerprints a column, so production needs the key."""
    for path in sorted(mappings_dir.glob("*_columns.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            if any(
                (row.get("format") or "").strip() == FINGERPRINT_FORMAT
                for row in csv.DictReader(handle)
            ):
                return True
    return False


def child_environment(**overrides: str) -> dict[str, str]:
    """This process's environment with ``overrides``, for a child process of ours (the receiver
    the demo and tests start): it reads its configuration through this module again."""
    return {**os.environ, **overrides}


def _mode(env: Environ) -> str:
    mode = _value(env, MODE_ENV) or SANDBOX
    if mode not in MODES:
        raise SettingsError(
            f"{MODE_ENV}={mode!r} is not a mode; use one of: {', '.join(MODES)} "
            f"(unset means {SANDBOX})"
        )
    return mode


def _value(env: Environ, name: str) -> str:
    return env.get(name, "").strip()
