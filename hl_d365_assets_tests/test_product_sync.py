"""The product sync D365 → Heartland Retail against both simulators: a dry run that lists the
changes and changes nothing, items created once and updated once, prices sent exact, a sync
killed after Retail applied a create that creates no second item, and created items coming back
on the next pull matched to their D365 products."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from hl_d365_assets.products.sync import ProductSyncReport, sync_products
from hl_d365_assets.sandbox.d365_simulator.entities import RELEASED_PRODUCTS
from hl_d365_assets.sandbox.heartland_retail_simulator import serve as serve_retail
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets_tests.product_world import ProductWorld

pytestmark = pytest.mark.schedule_first  # a sandbox day and servers per test: start early

NEW_IN_D365 = ("SKU-10481", "SKU-10482", "SKU-10483")


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both catalogues built, pulled and matched once for the module; each test a copy."""
    return ProductWorld.pulled(tmp_path_factory.mktemp("product_world"))


@pytest.fixture
def world(pulled: Path, tmp_path: Path) -> Iterator[ProductWorld]:
    world = ProductWorld.copied(pulled, tmp_path)
    yield world
    world.close()


def sync(world: ProductWorld, *, dry_run: bool = False) -> ProductSyncReport:
    with world.retail_api() as retail:
        return sync_products(
            world.warehouse.writer, retail, str(world.settings.mappings_dir), dry_run=dry_run
        )


def reprice(world: ProductWorld, item_number: str, price: str) -> None:
    """A price change in D365, pulled and matched as the nightly run does."""
    world.set_d365(
        RELEASED_PRODUCTS, {"dataAreaId": "usrt", "ItemNumber": item_number}, SalesPrice=price
    )
    world.pull()
    world.match()


def cli(world: ProductWorld, *args: str, retail_url: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "HL_D365_DATA_DIR": str(world.settings.data_dir)}
    if retail_url:
        env["HEARTLAND_RETAIL_SANDBOX_URL"] = retail_url
    return subprocess.Popen(
        [sys.executable, "-m", "hl_d365_assets.cli", "sync-products", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_dry_run_prints_what_would_change_and_changes_nothing(world: ProductWorld) -> None:
    reprice(world, "SKU-10010", "13.49")
    served_before = len(world.retail.served())

    child = cli(world, "--dry-run")
    output = child.communicate(timeout=120)[0].decode()

    assert child.returncode == 0, output
    [old] = [str(item["price"]) for item in world.retail_items("SKU-10010")]
    assert f"update SKU-10010 (Retail item 20010): original_price '{old}' -> '13.49', price '{old}' -> '13.49'" in output  # fmt: skip
    for item_number in NEW_IN_D365:
        assert f"create {item_number} in Heartland Retail: " in output
    assert "would_create: 3" in output and "would_update: 1" in output
    assert "unchanged: 476" in output
    assert len(world.retail.served()) == served_before  # not even a look-up
    assert world.query("SELECT count(*) FROM mdm.product_sync_requests") == [(0,)]
    assert all(not world.retail_items(number) for number in NEW_IN_D365)


def test_new_products_are_created_once_and_a_changed_price_updated_once(
    world: ProductWorld,
) -> None:
    reprice(world, "SKU-10010", "13.49")

    first = sync(world)
    again = sync(world)

    assert first.metadata() | {"unchanged": None} == {
        "dry_run": False, "planned_requests": 4, "created": 3, "adopted": 0, "updated": 1,
        "rejected": 0, "unchanged": None, "refused_values": 0,
        # D365 is every field's master by default: nothing is written to D365
        "planned_d365_requests": 0, "d365_created": 0, "d365_adopted": 0, "d365_updated": 0,
        "d365_rejected": 0,
    }  # fmt: skip
    assert again.planned == []
    [linen] = world.retail_items("SKU-10481")
    assert (linen["description"], linen["price"], linen["custom"]["upc"]) == (
        "Linen Apron", Decimal("29.99"), "084217004815",
    )  # fmt: skip
    assert all(len(world.retail_items(number)) == 1 for number in NEW_IN_D365)
    [repriced] = world.retail_items("SKU-10010")
    assert (repriced["price"], repriced["original_price"]) == (Decimal("13.49"), Decimal("13.49"))
    assert len(world.retail.served("/api/items", "POST")) == 3
    assert len(world.retail.served("/api/items/20010", "PUT")) == 1
    statuses = world.query(
        "SELECT action, status, count(*) FROM mdm.product_sync_requests GROUP BY ALL ORDER BY ALL"
    )
    assert statuses == [("create", "created", 3), ("update", "updated", 1)]


def test_created_items_come_back_on_the_next_pull_matched_to_their_d365_products(
    world: ProductWorld,
) -> None:
    sync(world)

    world.pull()
    match = world.match()

    came_back = world.query(
        "SELECT item_number, match_rule, retail_public_id FROM canonical.products "
        "WHERE item_number IN ('SKU-10481', 'SKU-10482', 'SKU-10483') ORDER BY 1"
    )
    assert came_back == [
        ("SKU-10481", "barcode", "SKU-10481"),
        ("SKU-10482", "barcode", "SKU-10482"),
        ("SKU-10483", "item_number", "SKU-10483"),  # D365 holds no barcode for it
    ]
    assert match.by_status.get("unmatched_d365", 0) == 0
    assert world.query(
        "SELECT DISTINCT status FROM recon.exceptions WHERE kind = 'product_unmatched_d365'"
    ) == [("cleared",)]
    assert sync(world).planned == []


def test_a_price_is_sent_with_its_exact_digits_and_a_fraction_of_a_cent_is_refused(
    world: ProductWorld,
) -> None:
    world.set_d365(
        RELEASED_PRODUCTS, {"dataAreaId": "usrt", "ItemNumber": "SKU-10020"}, SalesPrice="19.5"
    )
    reprice(world, "SKU-10021", "12.3456")

    report = sync(world)

    [document] = [
        d for d in world.retail.store.collections["items"].documents.values() if d.key == (20020,)
    ]
    assert '"price":19.50' in document.served(()) and '"original_price":19.50' in document.served(
        ()
    )
    assert report.refused == [
        "usrt/SKU-10021: D365 original_price 12.345600 has a fraction of a cent; Heartland Retail "
        "keeps cents, and it is not rounded",
        "usrt/SKU-10021: D365 price 12.345600 has a fraction of a cent; Heartland Retail keeps "
        "cents, and it is not rounded",
    ]
    [untouched] = world.retail_items("SKU-10021")
    assert untouched["price"] != Decimal("12.35")
    assert not world.retail.served("/api/items/20021", "PUT")


def test_a_sync_killed_after_retail_applied_a_create_creates_no_second_item(
    world: ProductWorld,
) -> None:
    server = serve_retail(world.retail)
    world.retail.faults.slow(0, times=1, path="/api/items")  # the first look-up answers
    world.retail.faults.slow(120, times=1, path="/api/items")  # the first create: applied, held
    child = cli(world, retail_url=server.base_url)
    try:
        deadline = time.monotonic() + 60
        while not world.retail_items("SKU-10481"):
            assert child.poll() is None, child.stdout.read().decode()
            assert time.monotonic() < deadline, "the sync never sent its first create"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        world.retail.faults.release_slow()
        server.stop()
    assert world.query("SELECT request_key, status FROM mdm.product_sync_requests") == [
        ("usrt/SKU-10481|heartland_retail|create|1", "sending")
    ]

    report = sync(world)

    assert (report.count("adopted"), report.count("created")) == (1, 2)
    assert [len(world.retail_items(number)) for number in NEW_IN_D365] == [1, 1, 1]
    assert world.query(
        "SELECT status, attempts FROM mdm.product_sync_requests WHERE item_number = 'SKU-10481'"
    ) == [("adopted", 2)]


def test_an_update_retail_refuses_is_recorded_and_the_others_still_go(world: ProductWorld) -> None:
    reprice(world, "SKU-10010", "13.49")
    world.retail.faults.fail(times=1, status=422, path="/api/items/20010")

    report = sync(world)

    assert (report.count("rejected"), report.count("created")) == (1, 3)
    [(status, detail)] = world.query(
        "SELECT status, detail FROM mdm.product_sync_requests WHERE action = 'update'"
    )
    assert status == "rejected" and "PUT /api/items/20010" in detail
    # a rejection is not done: the next run sends the same update again
    assert [change.action for change in sync(world).planned] == ["update"]
