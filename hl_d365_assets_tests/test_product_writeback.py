"""The product sync's D365 direction against both simulators: a field finance made Retail's
(mappings/product_sync_fields.csv master ``retail``) is written to D365 once, a rerun and the
value pulled back write nothing in either direction, a sync killed after D365 applied a barcode
create adopts it, a dry run lists the D365 change and writes nothing, D365's refusal is recorded
in its words while the next product goes on, a D365-mastered field is never written to D365, and
flipping a field's master flips its direction."""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from hl_d365_assets.d365.errors import D365ValidationError
from hl_d365_assets.defs.mdm.assets import product_sync
from hl_d365_assets.products.sync import ProductSyncReport, sync_products
from hl_d365_assets.sandbox.d365_simulator import server as d365_server
from hl_d365_assets.sandbox.d365_simulator.entities import (
    PRODUCT_BARCODES,
    PRODUCTS,
    RELEASED_PRODUCTS,
)
from hl_d365_assets.sandbox.heartland_retail_simulator import serve as serve_retail
from hl_d365_assets.sandbox.resources import sandbox_resources
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets_tests.product_world import ProductWorld

pytestmark = pytest.mark.schedule_first  # a sandbox day and servers per test: start early

TEE = "SKU-10010"  # Heritage Cotton T-Shirt: D365 SalesPrice 28.99, matched by barcode
TEE_RECORD = "ReleasedProductsV2(dataAreaId='usrt',ItemNumber='SKU-10010')"


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both catalogues built, pulled and matched once for the module; each test a copy."""
    return ProductWorld.pulled(tmp_path_factory.mktemp("product_world"))


@pytest.fixture
def world(pulled: Path, tmp_path: Path) -> Iterator[ProductWorld]:
    world = ProductWorld.copied(pulled, tmp_path)
    yield world
    world.close()


def masters(tmp_path: Path, **fields: str) -> str:
    """A copy of the shipped mappings with the given fields' masters changed."""
    directory = tmp_path / f"mappings_{len(list(tmp_path.glob('mappings_*')))}"
    shutil.copytree(PROJECT_ROOT / "mappings", directory)
    path = directory / "product_sync_fields.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["master"] = fields.get(row["field"], row["master"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(directory)


def sync(world: ProductWorld, mappings: str, *, dry_run: bool = False) -> ProductSyncReport:
    with world.retail_api() as retail, world.d365_api() as d365:
        return sync_products(world.warehouse.writer, retail, mappings, d365=d365, dry_run=dry_run)


def edit_retail(world: ProductWorld, public_id: str, **changes: object) -> None:
    """A change made at the till's back office, as Retail keeps it (a later version)."""
    [item] = world.retail_items(public_id)
    world.retail.put("items", {**item, **changes, "updated_at": "2026-11-30T15:00:00.000Z"})


def pull_and_match(world: ProductWorld) -> None:
    world.pull()
    world.match()


def d365_writes(world: ProductWorld) -> dict[str, int]:
    return {
        request: count
        for request, count in world.d365.requests.items()
        if request.split(" ")[0] in ("PATCH", "POST", "PUT", "DELETE")
        and request.split(" ")[1].startswith("/data/")
    }


def released(world: ProductWorld, item_number: str) -> dict:
    return world.d365.store.get(RELEASED_PRODUCTS.name, ("usrt", item_number))


def test_a_retail_mastered_price_reaches_d365_once_and_a_rerun_writes_nothing(
    world: ProductWorld, tmp_path: Path
) -> None:
    mappings = masters(tmp_path, price="retail", original_price="retail")
    edit_retail(world, TEE, price=Decimal("31.49"), original_price=Decimal("31.49"))
    pull_and_match(world)

    first = sync(world, mappings)
    again = sync(world, mappings)
    pull_and_match(world)  # the value written comes back from D365
    after_pull = sync(world, mappings)

    assert [write.describe() for write in first.writes] == [
        f"update {TEE} in D365 {TEE_RECORD}: SalesPrice '28.99' -> '31.49'"
    ]
    assert first.d365_outcomes["updated"] == 1
    assert [c.action for c in first.planned] == ["create"] * 3  # D365's new products, as ever
    assert released(world, TEE)["SalesPrice"] == Decimal("31.49")
    assert d365_writes(world) == {f"PATCH /data/{TEE_RECORD}": 1}
    assert (again.writes, again.planned) == ([], [])
    assert (after_pull.writes, after_pull.planned) == ([], [])  # no ping-pong either way
    assert not world.retail.served("/api/items/20010", "PUT")
    assert world.query(
        "SELECT system, action, target_key, fields, status FROM mdm.product_sync_requests "
        "WHERE system = 'd365'"
    ) == [("d365", "update", TEE_RECORD, ["price"], "updated")]


def test_a_dry_run_lists_the_d365_change_and_the_asset_then_writes_it_once(
    world: ProductWorld, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    mappings = masters(tmp_path, price="retail", original_price="retail", upc="retail")
    edit_retail(world, TEE, price=Decimal("31.49"), original_price=Decimal("31.49"))
    pull_and_match(world)
    d365 = d365_server.serve(world.d365)
    world.d365.environment_url = d365.base_url
    retail = serve_retail(world.retail)
    settings = dataclasses.replace(
        world.settings,
        mappings_dir=Path(mappings),
        d365_sandbox_url=d365.base_url,
        heartland_retail_sandbox_url=retail.base_url,
    )
    resources = sandbox_resources(settings)

    def materialize(dry_run: bool) -> dict[str, object]:
        result = dg.materialize(
            [product_sync],
            instance=instance,
            resources=resources,
            run_config={"ops": {"mdm__product_sync": {"config": {"dry_run": dry_run}}}},
        )
        [event] = result.asset_materializations_for_node("mdm__product_sync")
        logged = [
            entry.user_message for entry in instance.all_logs(result.run_id) if entry.user_message
        ]
        return {name: value.value for name, value in event.metadata.items()} | {"log": logged}

    try:
        planned = materialize(dry_run=True)
        writes_after_dry_run = d365_writes(world)
        recorded_after_dry_run = world.query("SELECT count(*) FROM mdm.product_sync_requests")
        sent = materialize(dry_run=False)
        rerun = materialize(dry_run=False)
    finally:
        d365.stop()
        retail.stop()
        world.d365.environment_url = None

    assert (planned["would_update_d365"], planned["would_create_d365"]) == (1, 8)
    assert (
        f"would update {TEE} in D365 {TEE_RECORD}: SalesPrice '28.99' -> '31.49'" in planned["log"]
    )
    # SKU-10470..10477 pair by item number: D365 holds no barcode for them
    assert (
        "would create barcode 084217004709 for SKU-10470 in D365 ProductBarcodesV3"
        in (planned["log"])
    )
    assert writes_after_dry_run == {}
    assert recorded_after_dry_run == [(0,)]
    assert (sent["d365_updated"], sent["d365_created"], sent["d365_rejected"]) == (1, 8, 0)
    assert (rerun["planned_d365_requests"], rerun["d365_updated"]) == (0, 0)
    assert released(world, TEE)["SalesPrice"] == Decimal("31.49")
    barcode = world.d365.store.get(
        PRODUCT_BARCODES.name,
        ("usrt", "SKU-10470", "", "", "", "", "", "ea", "UPC-A", "084217004709"),
    )
    assert barcode is not None and barcode["IsDefaultScannedBarcode"] == "Yes"


def test_d365_refusing_a_value_records_its_words_and_the_next_product_goes_on(
    world: ProductWorld, tmp_path: Path
) -> None:
    mappings = masters(tmp_path, description="retail")
    edit_retail(
        world, TEE, description="Heritage Cotton T-Shirt, garment-dyed, relaxed fit, tall sizes"
    )
    edit_retail(world, "SKU-10011", description="Renamed Tee")
    pull_and_match(world)

    report = sync(world, mappings)

    assert (report.d365_outcomes["rejected"], report.d365_outcomes["updated"]) == (1, 1)
    assert world.d365.store.get(PRODUCTS.name, ("SKU-10011",))["ProductName"] == "Renamed Tee"
    [(status, detail)] = world.query(
        "SELECT status, detail FROM mdm.product_sync_requests WHERE item_number = $item",
        {"item": TEE},
    )
    words = "Write failed for table row of type 'EcoResProductV2Entity'. Infolog: Warning:"
    assert status == "rejected" and words in detail and "Product name" in detail
    [(kind, state, source_keys, exception_detail)] = world.query(
        "SELECT kind, status, source_keys, detail FROM recon.exceptions "
        "WHERE kind = 'product_sync_rejected'"
    )
    assert (kind, state) == ("product_sync_rejected", "open")
    assert source_keys == f"sku=usrt/{TEE}, system=d365, record=ProductsV2(ProductNumber='{TEE}')"
    assert words in exception_detail

    edit_retail(world, TEE, description="Heritage Tee, relaxed fit")
    pull_and_match(world)
    fixed = sync(world, mappings)

    assert fixed.d365_outcomes["updated"] == 1
    assert world.query(
        "SELECT status FROM recon.exceptions WHERE kind = 'product_sync_rejected'"
    ) == [("cleared",)]


def test_a_field_mastered_by_d365_is_never_written_to_d365(
    world: ProductWorld,
) -> None:
    edit_retail(world, TEE, price=Decimal("31.49"), original_price=Decimal("31.49"))
    pull_and_match(world)

    report = sync(world, str(PROJECT_ROOT / "mappings"))  # the shipped masters: all d365

    assert report.writes == []
    assert d365_writes(world) == {}
    assert released(world, TEE)["SalesPrice"] == Decimal("28.99")
    [tee] = world.retail_items(TEE)
    assert tee["price"] == Decimal("28.99")  # D365's price went to Retail instead


def test_flipping_a_fields_master_flips_its_direction(world: ProductWorld, tmp_path: Path) -> None:
    retail_masters = masters(tmp_path, price="retail", original_price="retail")
    d365_masters = masters(tmp_path, price="d365", original_price="d365")
    edit_retail(world, TEE, price=Decimal("31.49"), original_price=Decimal("31.49"))
    pull_and_match(world)

    to_d365 = sync(world, retail_masters)
    world.set_d365(RELEASED_PRODUCTS, {"dataAreaId": "usrt", "ItemNumber": TEE}, SalesPrice="33.00")
    pull_and_match(world)
    to_retail = sync(world, d365_masters)

    assert [(w.item_number, w.entity_set) for w in to_d365.writes] == [(TEE, "ReleasedProductsV2")]
    assert [c.action for c in to_d365.planned] == ["create"] * 3  # D365's new products
    assert to_retail.writes == []
    # the tee gets D365's new price, and the items created while price was Retail's get theirs
    assert [(c.item_number, c.action) for c in to_retail.planned] == [
        (TEE, "update"), ("SKU-10481", "update"), ("SKU-10482", "update"), ("SKU-10483", "update"),
    ]  # fmt: skip
    [tee] = world.retail_items(TEE)
    assert tee["price"] == Decimal("33.00")
    assert d365_writes(world) == {f"PATCH /data/{TEE_RECORD}": 1}


def test_a_sync_killed_after_d365_created_a_barcode_creates_no_second(
    world: ProductWorld, tmp_path: Path
) -> None:
    mappings = masters(tmp_path, upc="retail")
    d365 = d365_server.serve(world.d365)
    world.d365.environment_url = d365.base_url
    retail = serve_retail(world.retail)
    world.d365.faults.slow(120, times=1, path="/data/ProductBarcodesV3")  # applied, then held
    env = {
        **os.environ,
        "HL_D365_DATA_DIR": str(world.settings.data_dir),
        "HL_D365_MAPPINGS_DIR": mappings,
        "D365_SANDBOX_URL": d365.base_url,
        "HEARTLAND_RETAIL_SANDBOX_URL": retail.base_url,
    }
    env.pop("D365_CLIENT_SECRET", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "hl_d365_assets.cli", "sync-products"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not created_barcodes(world):
            assert child.poll() is None, child.stdout.read().decode()
            assert time.monotonic() < deadline, "the sync never sent its first barcode"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        world.d365.faults.release_slow()
        d365.stop()
        retail.stop()
        world.d365.environment_url = None
    [(in_flight,)] = world.query(
        "SELECT request_key FROM mdm.product_sync_requests WHERE status = 'sending'"
    )
    assert in_flight == "usrt/SKU-10470|d365|create|ProductBarcodesV3:084217004709"

    report = sync(world, mappings)

    assert (report.d365_outcomes["adopted"], report.d365_outcomes["created"]) == (1, 7)
    assert sorted(created_barcodes(world)) == [f"SKU-1047{n}" for n in range(8)]
    assert world.query(
        "SELECT status, attempts FROM mdm.product_sync_requests WHERE request_key = $key",
        {"key": in_flight},
    ) == [("adopted", 2)]


def created_barcodes(world: ProductWorld) -> list[str]:
    """Items of SKU-10470..10477 (seeded without a barcode) that D365 now holds one for."""
    return [
        row["ItemNumber"]
        for row in world.d365.store.rows(PRODUCT_BARCODES.name, company="usrt")
        if row["ItemNumber"].startswith("SKU-1047") and row["ItemNumber"] < "SKU-10478"
    ]


def test_the_d365_simulator_refuses_a_patch_of_a_field_d365_does_not_let_change(
    world: ProductWorld,
) -> None:
    with world.d365_api() as d365, pytest.raises(D365ValidationError) as refused:
        d365.update(
            RELEASED_PRODUCTS.name,
            {"dataAreaId": "usrt", "ItemNumber": TEE},
            {"SalesPrice": Decimal("30.00"), "ProductType": "Service"},
        )

    assert "Infolog: Warning: Field 'Product type' cannot be changed." in str(refused.value)
    assert released(world, TEE)["SalesPrice"] == Decimal("28.99")
