"""Both catalogues for the product tests: the sandbox's Heartland Retail store (its 480 items,
UPCs and grids) served by the Retail simulator, the D365 simulator's seed (barcodes = those
UPCs, one barcode claimed twice, products on one side only), and a warehouse that pulls both
through the production pulls and raw loaders."""

from __future__ import annotations

import dataclasses
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from hl_d365_assets.d365.client import D365Client
from hl_d365_assets.d365.pull import OrderWindow, pull_to_landing
from hl_d365_assets.d365.raw_load import d365_fields, load_pulls, newest_pulls
from hl_d365_assets.heartland.events import StoreZones
from hl_d365_assets.heartland_retail import HeartlandRetailClient
from hl_d365_assets.heartland_retail import pull as retail_pull
from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.products.catalogue import CatalogueMatch, build_products
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.sandbox import SandboxConfig
from hl_d365_assets.sandbox.credentials import SANDBOX_RETAIL_TOKEN
from hl_d365_assets.sandbox.d365_simulator.app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ENVIRONMENT_URL,
    SANDBOX_TENANT_ID,
    D365Simulator,
)
from hl_d365_assets.sandbox.d365_simulator.entities import EntitySet, coerce, key_of, with_defaults
from hl_d365_assets.sandbox.heartland_retail_simulator import HeartlandRetailSimulator
from hl_d365_assets.sandbox.retail_store import write_retail_store
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import WarehouseResource, ensure_schema, transaction
from hl_d365_assets_tests.conftest import make_settings

SANDBOX_DAY = date(2026, 11, 20)


@dataclasses.dataclass
class ProductWorld:
    settings: Settings
    d365: D365Simulator
    retail: HeartlandRetailSimulator
    pulls: int = 0

    @classmethod
    def build(cls, tmp_path: Path) -> ProductWorld:
        settings = make_settings(tmp_path / "data")
        settings.data_dir.mkdir(parents=True)
        with duckdb.connect(str(settings.warehouse_path)) as conn:
            ensure_schema(conn)
        store = write_retail_store(
            tmp_path / "retail_store",
            [SANDBOX_DAY],
            SandboxConfig(store_count=1, transactions_per_store_day=5),
        )
        return cls(
            settings,
            D365Simulator(tmp_path / "d365.sqlite"),
            HeartlandRetailSimulator(store.directory),
        )

    @classmethod
    def pulled(cls, folder: Path) -> Path:
        """Both catalogues built, pulled and matched into ``folder`` (warehouse, D365 state,
        Retail store): what a module builds once and each test copies with :meth:`copied`."""
        world = cls.build(folder)
        world.pull()
        world.match()
        world.close()
        return folder

    @classmethod
    def copied(cls, pulled: Path, tmp_path: Path) -> ProductWorld:
        """A test's own copy of a :meth:`pulled` folder: the same files a fresh build, pull and
        match write, so the test's writes and simulators' logs are its own."""
        shutil.copytree(pulled, tmp_path, dirs_exist_ok=True)
        return cls(
            make_settings(tmp_path / "data"),
            D365Simulator(tmp_path / "d365.sqlite"),
            HeartlandRetailSimulator(tmp_path / "retail_store"),
            pulls=1,
        )

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

    def pull(self) -> None:
        """Both systems pulled as production pulls them: D365's entities whole, Retail's items
        as a snapshot (each pull under a later day, as the nightly pulls land)."""
        self.pulls += 1
        zone = LandingZone(self.settings.landing_dir / f"pull{time.monotonic_ns()}")
        snapshot_day = date.fromordinal(SANDBOX_DAY.toordinal() + self.pulls - 1)
        with self.retail_api() as api:
            retail_pull.pull(
                api,
                zone,
                entities=["items"],
                zones=StoreZones.from_mappings(self.settings.mappings_dir, "America/New_York"),
                snapshot_day=snapshot_day,
                cursor=TicketCursor(),
            )
        with self.warehouse.writer() as conn:
            fields = d365_fields(conn)
            with self.d365_api() as api:
                pull_to_landing(api, zone, fields, OrderWindow(True, "test: full"), UTC)
            load_entity(
                conn,
                "items",
                zone.segments(retail_pull.SOURCE, "items", snapshot_day),
                [snapshot_day],
                source=retail_pull.SOURCE,
            )
            with transaction(conn):
                load_pulls(conn, newest_pulls(conn, zone), fields)

    def match(self) -> CatalogueMatch:
        with self.warehouse.writer() as conn, transaction(conn):
            return build_products(conn, str(self.settings.mappings_dir), datetime.now(UTC))

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as conn:
            return conn.execute(sql, params or {}).fetchall()

    def set_d365(self, entity: EntitySet, values: dict, **changes: object) -> None:
        """Edit (or add) one D365 record, as a user would in D365."""
        key = key_of(entity, values)
        row = self.d365.store.get(entity.name, key)
        if row is None:
            row = with_defaults(entity, {n: coerce(entity, n, v) for n, v in values.items()})
            row.update({n: coerce(entity, n, v) for n, v in changes.items()})
            self.d365.store.insert(entity.name, key, row.get("dataAreaId", ""), row)
            return
        row.update({n: coerce(entity, n, v) for n, v in changes.items()})
        self.d365.store.replace(entity.name, key, row)

    def retail_items(self, public_id: str) -> list[dict]:
        return [
            document.data()
            for document in self.retail.store.collections["items"].documents.values()
            if document.data().get("public_id") == public_id
        ]

    def close(self) -> None:
        self.d365.close()
