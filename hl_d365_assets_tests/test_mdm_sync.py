"""The two-way customer sync against the D365 and Heartland Retail simulators: golden customers
created once in the system that lacks them, nothing sent twice (also after a sync killed between
sending and recording), created records coming back as the same golden customer, and edits on
both sides resolved by survivorship and logged."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland_retail import HeartlandRetailClient
from hl_d365_assets.heartland_retail import pull as retail_pull
from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.mdm.pipeline import run_customer_matching
from hl_d365_assets.mdm.sources import stage_customer_sources
from hl_d365_assets.mdm.sync import SyncReport, sync_customers
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.sandbox.credentials import SANDBOX_RETAIL_TOKEN
from hl_d365_assets.sandbox.d365_simulator import server as d365_server
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ENVIRONMENT_URL,
    SANDBOX_TENANT_ID,
    D365Simulator,
)
from hl_d365_assets.sandbox.heartland_retail_simulator import HeartlandRetailSimulator
from hl_d365_assets.sandbox.heartland_retail_simulator import serve as serve_retail
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.warehouse import WarehouseResource, ensure_schema, transaction
from hl_d365_assets_tests.conftest import make_settings

PULL_DAY = date(2026, 11, 20)
PEOPLE = [
    # Heartland Retail customers D365 lacks (the sandbox D365 holds 36 companies Retail lacks)
    {"id": 5001, "public_id": "C5001", "first_name": "Ada", "last_name": "Lovelace",
     "email": "ada.lovelace@example.com", "active": True, "custom": {},
     "created_at": "2026-01-05T10:00:00.000Z", "updated_at": "2026-01-05T10:00:00.000Z",
     "addresses": [{"id": 1, "customer_id": 5001, "first_name": "Ada", "last_name": "Lovelace",
                    "address_1": "1 Main Street", "address_2": None, "city": "New York",
                    "state": "NY", "zip": "10001", "country": "US", "phone": "(212) 555-0101"}]},
    {"id": 5002, "public_id": "C5002", "first_name": "Ada", "last_name": "Lovelace",
     "email": "ada.lovelace@example.com", "active": True, "custom": {},
     "created_at": "2026-01-05T11:00:00.000Z", "updated_at": "2026-01-05T11:00:00.000Z",
     "addresses": []},  # typed again at the till: the same golden customer
    {"id": 5003, "public_id": "C5003", "first_name": "Charles", "last_name": "Babbage",
     "email": "cb@example.com", "active": True, "custom": {},
     "created_at": "2026-01-06T10:00:00.000Z", "updated_at": "2026-01-06T10:00:00.000Z",
     "addresses": []},
]  # fmt: skip


@dataclasses.dataclass
class World:
    settings: Settings
    d365: D365Simulator
    retail: HeartlandRetailSimulator

    @property
    def warehouse(self) -> WarehouseResource:
        return WarehouseResource(
            database=str(self.settings.warehouse_path), read_copy=str(self.settings.read_copy_path)
        )

    def d365_api(self):
        client = D365Client(
            environment_url=SANDBOX_ENVIRONMENT_URL,
            tenant_id=SANDBOX_TENANT_ID,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        )
        return client.open(self.d365.transport(), sleep=lambda seconds: None)

    def retail_api(self):
        client = HeartlandRetailClient(
            subdomain="sandbox",
            token=SANDBOX_RETAIL_TOKEN,
            base_url="http://retail.sim/api",
            backoff_base_seconds=0,
        )
        return client.open(self.retail.transport(), sleep=lambda seconds: None)

    def pull_and_match(self) -> None:
        """The night before a sync: both systems' customers pulled into raw (Retail through
        its production pull and the raw loader; D365 CustomersV3 read whole, as its full pull
        does), standardised and matched."""
        zone = LandingZone(self.settings.landing_dir / f"pull{time.monotonic_ns()}")
        with self.retail_api() as api:
            retail_pull.pull(
                api,
                zone,
                entities=["customers"],
                zones=StoreZones.from_mappings(self.settings.mappings_dir, "America/New_York"),
                snapshot_day=PULL_DAY,
                cursor=TicketCursor(),
            )
        with self.d365_api() as api:
            customers = api.read_all("CustomersV3")
        pulled_at = datetime.now(UTC)
        with self.warehouse.writer() as conn:
            load_entity(
                conn,
                "customers",
                zone.segments(retail_pull.SOURCE, "customers", PULL_DAY),
                [PULL_DAY],
                source=retail_pull.SOURCE,
            )
            with transaction(conn):
                conn.execute("DELETE FROM raw.d365_customers").fetchall()
                for row in customers:
                    conn.execute(
                        "INSERT INTO raw.d365_customers BY NAME SELECT "
                        + ", ".join(f"${name} AS {name}" for name in _D365_COLUMNS)
                        + ", $pulled_at AS pulled_at",
                        {**{name: row.get(name, "") for name in _D365_COLUMNS},
                         "pulled_at": pulled_at},
                    ).fetchall()  # fmt: skip
                stage_customer_sources(conn)
                run_customer_matching(conn, str(self.settings.mappings_dir), datetime.now(UTC))

    def sync(self) -> SyncReport:
        with self.d365_api() as d365, self.retail_api() as retail:
            return sync_customers(
                self.warehouse.writer, d365, retail, str(self.settings.mappings_dir)
            )

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as conn:
            return conn.execute(sql, params or {}).fetchall()

    def golden_id(self, record_key: str) -> str:
        [(golden,)] = self.query(
            "SELECT golden_id FROM mdm.customer_xref WHERE record_key = $k", {"k": record_key}
        )
        return golden

    def d365_customers(self) -> dict[str, dict]:
        return {row["CustomerAccount"]: row for row in self.d365.store.rows("CustomersV3")}

    def retail_customers_of(self, golden_id: str) -> list[dict]:
        with self.retail_api() as api:
            page = api.list_page("customers", filters={"custom@golden_id": golden_id})
        return [record.data for record in page.records]


_D365_COLUMNS = (
    "dataAreaId", "CustomerAccount", "OrganizationName", "NameAlias", "PartyType",
    "CustomerGroupId", "SalesCurrencyCode", "PaymentTerms", "AddressCity", "AddressState",
    "AddressCountryRegionId", "PrimaryContactEmail", "AddressStreet", "AddressZipCode",
    "PrimaryContactPhone", "PersonFirstName", "PersonLastName",
)  # fmt: skip


@pytest.fixture
def world(tmp_path: Path):
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        ensure_schema(conn)
    d365 = D365Simulator(tmp_path / "d365.sqlite")
    retail = HeartlandRetailSimulator()
    for person in PEOPLE:
        retail.put("customers", person)
    world = World(settings, d365, retail)
    world.pull_and_match()
    yield world
    d365.close()


def _companies(world: World) -> int:
    return len([a for a in world.d365_customers() if not a.startswith("HLC")])


def test_each_golden_customer_is_created_once_where_it_is_missing_and_a_rerun_sends_nothing(
    world: World,
) -> None:
    ada = world.golden_id("heartland_retail:5001")
    companies = _companies(world)

    report = world.sync()

    assert report.count("d365", "created") == 2  # Ada and Charles
    assert report.count("heartland_retail", "created") == companies
    account = "HLC" + ada[2:]
    created = world.d365_customers()[account]
    assert (created["PersonFirstName"], created["PersonLastName"]) == ("Ada", "Lovelace")
    assert created["CustomerGroupId"] == "Retail"  # from mappings/mdm_customer_sync.csv
    assert created["PrimaryContactEmail"] == "ada.lovelace@example.com"
    assert created["AddressCountryRegionId"] == "USA"
    harbor = world.golden_id("d365:usrt/US-001")
    [in_retail] = world.retail_customers_of(harbor)
    assert in_retail["last_name"] == "Hospitality"
    assert world.query("SELECT DISTINCT status FROM mdm.sync_requests") == [("created",)]

    posts = world.d365.request_count("POST"), world.retail.requests["/api/customers"]
    again = world.sync()

    assert again.planned == 0 and sum(again.outcomes.values()) == 0
    assert world.d365.request_count("POST") == posts[0]
    assert world.retail.requests["/api/customers"] == posts[1]  # not even a look-up


def test_records_we_created_come_back_on_the_next_pull_as_the_same_golden_customers(
    world: World,
) -> None:
    before = dict(world.query("SELECT record_key, golden_id FROM mdm.customer_xref"))
    goldens = world.query("SELECT count(*) FROM mdm.customers WHERE status = 'active'")
    world.sync()

    world.pull_and_match()

    ada = before["heartland_retail:5001"]
    assert world.golden_id(f"d365:usrt/HLC{ada[2:]}") == ada
    harbor = before["d365:usrt/US-001"]
    [in_retail] = world.retail_customers_of(harbor)
    assert world.golden_id(f"heartland_retail:{in_retail['id']}") == harbor
    after = dict(world.query("SELECT record_key, golden_id FROM mdm.customer_xref"))
    assert {key: after[key] for key in before} == before
    assert world.query("SELECT count(*) FROM mdm.customers WHERE status = 'active'") == goldens
    assert world.query(
        "SELECT count(*) FROM mdm.customer_xref WHERE NOT (golden_has_d365 AND golden_has_retail)"
    ) == [(0,)]
    report = world.sync()
    assert report.planned == 0  # both sides already hold the surviving values


def test_a_created_record_renamed_in_its_system_before_the_next_pull_stays_its_golden_customer(
    world: World,
) -> None:
    """Only the record of what the sync created ties it to its golden customer here: the
    account is renamed in D365 (a married name, a new e-mail, phone and street) before the next
    pull, so no e-mail, phone, name or account rule, nor the model, can link it."""
    ada = world.golden_id("heartland_retail:5001")
    world.sync()
    account = "HLC" + ada[2:]
    with world.d365_api() as api:
        api.update(
            "CustomersV3",
            {"dataAreaId": "usrt", "CustomerAccount": account},
            {
                "OrganizationName": "Augusta King",
                "PersonFirstName": "Augusta",
                "PersonLastName": "King",
                "PrimaryContactEmail": "a.king@example.org",
                "PrimaryContactPhone": "+1 917 555 0199",
                "AddressStreet": "12 Square Court",
                "AddressZipCode": "10002",
            },
        )

    world.pull_and_match()

    assert world.golden_id(f"d365:usrt/{account}") == ada
    assert world.query(
        "SELECT count(*) FROM mdm.customer_xref WHERE golden_id = $g", {"g": ada}
    ) == [(3,)]  # both Retail records and the renamed D365 account


def test_an_edit_on_both_sides_at_once_is_resolved_by_survivorship_and_logged(
    world: World,
) -> None:
    world.sync()
    world.pull_and_match()
    world.sync()  # the state both sides agree on
    ada = world.golden_id("heartland_retail:5001")
    with world.retail_api() as api:
        api.update("customers/5001", {"email": "ada@till.example.com"})
    with world.d365_api() as api:
        api.update(
            "CustomersV3",
            {"dataAreaId": "usrt", "CustomerAccount": f"HLC{ada[2:]}"},
            {"PrimaryContactEmail": "ada@erp.example.com"},
        )
    world.pull_and_match()  # D365 keeps no change time: its pull time makes it the most recent

    report = world.sync()

    assert report.conflicts_resolved == 1
    [conflict] = world.query(
        "SELECT golden_id, attribute, rule, edited_in, winning_source, overruled_record_keys "
        "FROM mdm.sync_conflicts"
    )
    assert conflict == (
        ada, "email", "most_recent", ["d365", "heartland_retail"], "d365",
        ["heartland_retail:5001"],
    )  # fmt: skip
    with world.retail_api() as api:
        assert api.get("customers/5001").data["email"] == "ada@erp.example.com"
    assert report.count("heartland_retail", "updated") == 1
    assert report.count("d365", "updated") == 0
    recorded = str(world.query("SELECT * FROM mdm.sync_conflicts")) + str(report.metadata())
    assert "@" not in recorded  # the log says who won, never the values


@pytest.mark.parametrize(
    ("system", "path"),
    [("d365", "/data/CustomersV3"), ("heartland_retail", "/api/customers")],
)
def test_a_sync_killed_after_the_create_was_sent_and_before_it_was_recorded_creates_no_second(
    world: World, system: str, path: str
) -> None:
    d365 = d365_server.serve(world.d365)
    world.d365.environment_url = d365.base_url
    retail = serve_retail(world.retail)
    if system == "d365":
        world.d365.faults.slow(120, times=1, path=path)  # the first create: applied, held
    else:
        world.retail.faults.slow(0, times=1, path=path)  # its look-up answers
        world.retail.faults.slow(120, times=1, path=path)  # its create: applied, held
    env = {
        **os.environ,
        "HL_D365_DATA_DIR": str(world.settings.data_dir),
        "D365_SANDBOX_URL": d365.base_url,
        "HEARTLAND_RETAIL_SANDBOX_URL": retail.base_url,
    }
    env.pop("D365_CLIENT_SECRET", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "hl_d365_assets.cli", "sync-customers"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _applied(world, system):
            assert child.poll() is None, child.stdout.read().decode()
            assert time.monotonic() < deadline, "the sync never sent its first create"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        world.d365.faults.release_slow()
        world.retail.faults.release_slow()
        d365.stop()
        retail.stop()
        world.d365.environment_url = None
    [(in_flight, golden)] = world.query(
        "SELECT request_key, golden_id FROM mdm.sync_requests WHERE status = 'sending'"
    )
    assert f"|{system}|create|" in in_flight

    report = world.sync()

    assert report.count(system, "adopted") == 1
    assert world.query(
        "SELECT status FROM mdm.sync_requests WHERE request_key = $k", {"k": in_flight}
    ) == [("adopted",)]
    if system == "d365":
        assert len([a for a in world.d365_customers() if a.startswith("HLC")]) == 2
    else:
        assert len(world.retail_customers_of(golden)) == 1
    goldens = {g for (g,) in world.query("SELECT golden_id FROM mdm.customers")}
    assert all(len(world.retail_customers_of(g)) <= 1 for g in goldens)


def _applied(world: World, system: str) -> bool:
    if system == "d365":
        return any(a.startswith("HLC") for a in world.d365_customers())
    return any(
        "golden_id" in (document.data().get("custom") or {})
        for document in world.retail.store.collections["customers"].documents.values()
    )
