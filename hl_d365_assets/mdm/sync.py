"""The two-way customer sync: golden customers into D365 and Heartland Retail, exactly once.

What to send comes from the warehouse, set-based (sql/mdm/stage_customer_sync_*.sql): a golden
customer a system lacks is created there, a record whose surviving attribute differs from its
golden customer's gets the golden value, and an attribute edited on both sides since the last
sync is logged as a conflict the survivorship rule resolved (mdm.sync_conflicts).

Exactly once, through the outbox (hl_d365_assets/outbox.py), as the journals are posted
(hl_d365_assets/ledger/exactly_once.py): every request has a key, ``golden_id|system|action|version``, recorded in mdm.sync_requests as ``sending``
before it leaves and finished after, in short writer sessions (nothing holds the warehouse
across an HTTP call). A create always looks in the target first, by a key only our record can
carry, and adopts what it finds:

- D365: the account itself. A created customer's ``CustomerAccount`` is the configured prefix
  and the golden number (``HLC000000123``), so the look-up is ``GET CustomersV3(dataAreaId,
  CustomerAccount)``: D365's own key, exact and unique. A free-text field (``NameAlias``, the
  search name, ``KnownAs``) is neither unique nor safe to filter on exactly, and D365 cannot be
  told to keep it unique.
- Heartland Retail: the golden id in the customer custom field ``golden_id`` (configured; define
  it unique in Retail, which makes it an alternate look-up), listed with
  ``_filter={"custom@golden_id": ...}``.

So a run killed after the target applied a create and before it was recorded adopts that record
on the next run instead of creating a second one; an update is a PUT/PATCH of the same values,
harmless to repeat. The record created comes back with the next pull and joins the golden
customer it was made for (the ``synced_record`` rule, sql/mdm/stage_rule_links.sql).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from hl_d365_assets.d365.client import D365Api
from hl_d365_assets.d365.errors import D365NotFoundError, D365OutcomeUnknown
from hl_d365_assets.heartland_retail import (
    HeartlandRetailApiError,
    HeartlandRetailOutcomeUnknown,
    RetailApi,
)
from hl_d365_assets.outbox import Outbox, send_once
from hl_d365_assets.warehouse import run_script, sql_file, transaction

logger = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]

D365 = "d365"
RETAIL = "heartland_retail"
CUSTOMERS_SET = "CustomersV3"
DONE = ("created", "adopted", "updated")
ISO3 = {"US": "USA", "CA": "CAN", "MX": "MEX", "GB": "GBR"}
"""CustomersV3 ``AddressCountryRegionId`` is D365's three-letter region id (``USA`` in demo data,
reference: UNCONFIRMED whether every environment keeps the ISO alpha-3 ids); the golden record
holds ISO alpha-2. A country not listed is left for D365's default."""
OUTBOX = Outbox(record="mdm/record_sync_request.sql", finish="mdm/finish_sync_request.sql")


@dataclass(frozen=True)
class SyncTargets:
    """Where created customers go (mappings/mdm_customer_sync.csv, finance/CRM-editable)."""

    d365_company: str
    d365_customer_group: str
    d365_account_prefix: str
    d365_currency: str
    d365_party_type: str
    retail_golden_id_field: str

    @classmethod
    def load(cls, conn: duckdb.DuckDBPyConnection, mappings_dir: str) -> SyncTargets:
        for name in ("mdm_survivorship", "mdm_customer_sync"):
            run_script(conn, sql_file(f"ref/load_{name}.sql"), {"dir": str(mappings_dir)})
        values = dict(conn.execute("SELECT name, value FROM ref.mdm_customer_sync").fetchall())
        names = {f for f in cls.__dataclass_fields__}
        missing = sorted(names - values.keys())
        if missing:
            raise ValueError(f"mdm_customer_sync.csv lacks {missing}")
        return cls(**{name: values[name] for name in names})


@dataclass
class SyncReport:
    """Counts only (what the asset's metadata shows): no name, e-mail, phone or address."""

    planned: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(system, status) -> requests: created, adopted, updated, rejected."""
    conflicts_resolved: int = 0

    def count(self, system: str, status: str) -> int:
        return self.outcomes[(system, status)]

    def metadata(self) -> dict[str, object]:
        return {
            "planned_requests": self.planned,
            **{
                f"{system}_{status}": self.count(system, status)
                for system in (D365, RETAIL)
                for status in ("created", "adopted", "updated", "rejected")
            },
            "conflicts_resolved": self.conflicts_resolved,
        }


def sync_customers(
    writer: Writer,
    d365: D365Api,
    retail: RetailApi,
    mappings_dir: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncReport:
    """Send every planned request once; see the module doc. A rejection (the target refused the
    data) is recorded and the others go on; any other failure is recorded and raised."""
    report = SyncReport()
    with writer() as conn, transaction(conn):
        targets = SyncTargets.load(conn, mappings_dir)
        run_script(conn, sql_file("mdm/stage_customer_sync_values.sql"))
        started = now()
        run_script(conn, sql_file("mdm/record_sync_conflicts.sql"), {"now": started})
        report.conflicts_resolved = conn.execute(
            "SELECT count(*) FROM mdm.sync_conflicts WHERE resolved_at = $now", {"now": started}
        ).fetchone()[0]
        run_script(
            conn,
            sql_file("mdm/stage_customer_sync_plan.sql"),
            {
                "d365_company": targets.d365_company,
                "d365_account_prefix": targets.d365_account_prefix,
            },
        )
        cursor = conn.execute("SELECT * FROM customer_sync_plan")
        columns = [column[0] for column in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    report.planned = len(plan)
    if report.conflicts_resolved:
        logger.info(
            "%d conflicting edits resolved by survivorship (mdm.sync_conflicts)",
            report.conflicts_resolved,
        )
    for request in plan:
        _send_once(writer, d365, retail, targets, request, report, now)
    with writer() as conn, transaction(conn):
        run_script(conn, sql_file("mdm/stage_customer_sync_values.sql"))
        run_script(
            conn,
            sql_file("mdm/write_customer_sync_state.sql"),
            {"now": now(), "request_keys": [request["request_key"] for request in plan]},
        )
    return report


def _send_once(
    writer: Writer,
    d365: D365Api,
    retail: RetailApi,
    targets: SyncTargets,
    request: dict,
    report: SyncReport,
    now: Callable[[], datetime],
) -> None:
    system = request["system"]
    recorded = {
        name: request[name]
        for name in ("request_key", "golden_id", "system", "action", "version", "target_key")
    }
    status, _ = send_once(
        writer,
        OUTBOX,
        {**recorded, "fields": request["fields"]},
        lambda: (
            _send_to_d365(d365, targets, request)
            if system == D365
            else _send_to_retail(retail, targets, request)
        ),
        now,
    )
    report.outcomes[(system, status)] += 1


# -- D365 CustomersV3 ---------------------------------------------------------------------------


def _send_to_d365(api: D365Api, targets: SyncTargets, request: dict) -> tuple[str, str]:
    company, _, account = request["target_key"].partition("/")
    key = {"dataAreaId": company, "CustomerAccount": account}
    values = _d365_values(request)
    if request["action"] == "update":
        api.update(
            CUSTOMERS_SET, key, {k: v for k, v in values.items() if k in _d365_fields(request)}
        )
        return "updated", request["target_key"]
    if _d365_holds(api, key):
        logger.info("%s: D365 already holds %s; adopted", request["request_key"], account)
        return "adopted", request["target_key"]
    body = {
        **key,
        "CustomerGroupId": targets.d365_customer_group,
        "SalesCurrencyCode": targets.d365_currency,
        "PartyType": targets.d365_party_type,
        **{name: value for name, value in values.items() if value},
    }
    try:
        api.create(CUSTOMERS_SET, body)
    except D365OutcomeUnknown:
        if _d365_holds(api, key):
            return "adopted", request["target_key"]
        raise
    return "created", request["target_key"]


def _d365_holds(api: D365Api, key: dict) -> bool:
    try:
        api.get(CUSTOMERS_SET, key)
    except D365NotFoundError:
        return False
    return True


def _d365_values(request: dict) -> dict[str, str]:
    """The golden values as CustomersV3 fields. ``OrganizationName`` carries a person's whole
    name too, as D365 shows a Person party's name there (guess: whether D365 accepts it on create
    for a Person or derives it from the parts is UNCONFIRMED)."""
    first, last = request["first_name"] or "", request["last_name"] or ""
    return {
        "PersonFirstName": first,
        "PersonLastName": last,
        "OrganizationName": f"{first} {last}".strip(),
        "PrimaryContactEmail": request["email"] or "",
        "PrimaryContactPhone": request["phone_e164"] or "",
        "AddressStreet": request["address_1"] or "",
        "AddressCity": request["city"] or "",
        "AddressState": request["state"] or "",
        "AddressZipCode": request["postcode"] or "",
        "AddressCountryRegionId": ISO3.get(request["country_code"] or "", ""),
    }


_D365_FIELDS = {
    "name": ("PersonFirstName", "PersonLastName", "OrganizationName"),
    "email": ("PrimaryContactEmail",),
    "phone": ("PrimaryContactPhone",),
    "address": ("AddressStreet", "AddressCity", "AddressState", "AddressZipCode"),
}


def _d365_fields(request: dict) -> set[str]:
    return {name for attribute in request["fields"] for name in _D365_FIELDS[attribute]}


# -- Heartland Retail customers -----------------------------------------------------------------


def _send_to_retail(api: RetailApi, targets: SyncTargets, request: dict) -> tuple[str, str]:
    names = {"first_name": request["first_name"], "last_name": request["last_name"]}
    if request["action"] == "update":
        changes = {**(names if "name" in request["fields"] else {})}
        if "email" in request["fields"]:
            changes["email"] = request["email"]
        api.update(f"customers/{request['target_key']}", changes)
        return "updated", request["target_key"]
    golden_field = f"custom@{targets.retail_golden_id_field}"
    found = _retail_holding(api, golden_field, request)
    if found is not None:
        logger.info("%s: Retail already holds customer %s; adopted", request["request_key"], found)
        return "adopted", found
    body: dict[str, object] = {
        **names,
        "email": request["email"],
        golden_field: request["golden_id"],
    }
    if request["address_1"]:
        # Guess: an address rides along on the create (the reference knows the address resource
        # customers/{id}/addresses only for reading); phone is a per-address field there.
        body["addresses"] = [
            {
                **names,
                "address_1": request["address_1"],
                "address_2": request["address_2"],
                "city": request["city"],
                "state": request["state"],
                "zip": request["postcode"],
                "country": request["country_code"],
                "phone": request["phone_e164"],
            }
        ]
    try:
        created = api.create("customers", body)
    except HeartlandRetailOutcomeUnknown:
        found = _retail_holding(api, golden_field, request)
        if found is not None:
            return "adopted", found
        raise
    return "created", str(created)


def _retail_holding(api: RetailApi, golden_field: str, request: dict) -> str | None:
    page = api.list_page(
        "customers", filters={golden_field: request["golden_id"]}, only=["id"], per_page=2
    )
    if page.total > 1:
        raise HeartlandRetailApiError(
            f"{page.total} Retail customers carry {golden_field} = {request['golden_id']}; "
            "expected at most one (is the custom field defined unique?)",
            request=f"GET /api/customers ({golden_field})",
        )
    return str(page.records[0].data["id"]) if page.records else None
