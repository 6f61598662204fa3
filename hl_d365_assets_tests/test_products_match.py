"""canonical.products: the sandbox's D365 catalogue (simulator seed) against its Heartland
Retail catalogue (simulator store), pulled by the production pulls. Barcodes pair first, item
numbers after; a barcode two D365 products claim pairs nothing and is an exception; what is on
one side only is listed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from hl_d365_assets.defs.canonical.assets import products
from hl_d365_assets.defs.canonical.checks import no_barcode_claimed_twice
from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.sandbox.d365_simulator.entities import (
    PRODUCT_BARCODES,
    RELEASED_PRODUCT_VARIANTS,
    RELEASED_PRODUCTS,
)
from hl_d365_assets_tests.product_world import ProductWorld

COLUMNS = (
    "match_status, match_rule, legal_entity, item_number, product_color_id, product_size_id, "
    "retail_item_id, retail_public_id, barcode, upc, grid_id"
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ProductWorld]:
    world = ProductWorld.build(tmp_path)
    world.pull()
    yield world
    world.close()


def rows(world: ProductWorld, where: str) -> list[dict]:
    names = [name.strip() for name in COLUMNS.split(",")]
    found = world.query(f"SELECT {COLUMNS} FROM canonical.products WHERE {where} ORDER BY ALL")
    return [dict(zip(names, row, strict=True)) for row in found]


def test_a_retail_item_pairs_with_the_d365_product_whose_barcode_is_its_upc(
    world: ProductWorld,
) -> None:
    match = world.match()

    [tee] = rows(world, "item_number = 'SKU-10000'")
    assert tee == {
        "match_status": "matched", "match_rule": "barcode", "legal_entity": "usrt",
        "item_number": "SKU-10000", "product_color_id": "", "product_size_id": "",
        "retail_item_id": "20000", "retail_public_id": "SKU-10000",
        "barcode": "084217000008", "upc": "084217000008", "grid_id": "301",
    }  # fmt: skip
    assert match.by_rule["barcode"] == 469
    [(price, retail_price, tax_group)] = world.query(
        "SELECT sales_price, retail_price, sales_tax_item_group FROM canonical.products "
        "WHERE item_number = 'SKU-10000'"
    )
    assert (str(price), str(retail_price), tax_group) == ("46.990000", "46.99", "ALL")


def test_a_d365_product_without_a_barcode_pairs_by_item_number(world: ProductWorld) -> None:
    match = world.match()

    fallbacks = rows(world, "match_rule = 'item_number'")
    assert [row["item_number"] for row in fallbacks] == [f"SKU-{n}" for n in range(10470, 10478)]
    assert all(row["retail_public_id"] == row["item_number"] for row in fallbacks)
    assert all(row["barcode"] is None and row["upc"] for row in fallbacks)
    assert match.by_rule["item_number"] == 8


def test_a_barcode_claimed_by_two_d365_products_is_an_exception_never_a_match(
    world: ProductWorld,
) -> None:
    world.match()

    held = rows(world, "match_status = 'ambiguous_barcode'")
    assert [(r["item_number"], r["retail_item_id"]) for r in held] == [
        ("SKU-10005", None),
        ("SKU-10480", None),
        (None, "20005"),
    ]  # neither D365 product is paired with the item, by barcode or by item number
    assert not rows(world, "retail_item_id = '20005' AND match_status = 'matched'")
    [(kind, severity, keys, detail)] = world.query(
        "SELECT kind, severity, source_keys, detail FROM recon.exceptions "
        "WHERE kind = 'product_barcode_ambiguous'"
    )
    assert (severity, keys) == ("high", "barcode=084217000053")
    assert "SKU-10005, SKU-10480" in detail and "SKU-10005 (item 20005)" in detail
    assert world.query("SELECT count(*) FROM ops.alerts WHERE kind = $k", {"k": kind}) == [(1,)]


def test_products_on_one_side_only_are_listed_as_exceptions(world: ProductWorld) -> None:
    match = world.match()

    d365_only = rows(world, "match_status = 'unmatched_d365'")
    retail_only = rows(world, "match_status = 'unmatched_retail'")
    assert [r["item_number"] for r in d365_only] == ["SKU-10481", "SKU-10482", "SKU-10483"]
    assert [r["retail_public_id"] for r in retail_only] == ["SKU-10478", "SKU-10479"]
    exceptions = world.query(
        "SELECT kind, source_keys FROM recon.exceptions WHERE kind LIKE 'product_unmatched%' "
        "AND status = 'open' ORDER BY ALL"
    )
    assert exceptions == [
        ("product_unmatched_d365", "legal_entity=usrt, item_number=SKU-10481"),
        ("product_unmatched_d365", "legal_entity=usrt, item_number=SKU-10482"),
        ("product_unmatched_d365", "legal_entity=usrt, item_number=SKU-10483"),
        ("product_unmatched_retail", "retail_item_id=20478, public_id=SKU-10478"),
        ("product_unmatched_retail", "retail_item_id=20479, public_id=SKU-10479"),
    ]
    assert match.metadata()["matched"] == 477
    # rebuilding changes nothing: the same exceptions, same ids, still open
    before = world.query("SELECT exception_id, status FROM recon.exceptions ORDER BY 1")
    world.match()
    assert world.query("SELECT exception_id, status FROM recon.exceptions ORDER BY 1") == before


def test_a_grid_item_pairs_with_its_product_master_variant_by_barcode(world: ProductWorld) -> None:
    """A Retail grid (size x colour) is a D365 product master; each cell is a variant, named by
    the master's item number and its dimensions, so only its barcode can pair it."""
    [cell] = world.retail_items("SKU-10372")  # Flip Flops grid, size S, colour Black
    upc = cell["custom"]["upc"]
    world.set_d365(
        RELEASED_PRODUCTS,
        {"dataAreaId": "usrt", "ItemNumber": "FLIPFLOP"},
        ProductNumber="FLIPFLOP", SearchName="Flip Flops", ProductSubType="ProductMaster",
        SalesPrice="60.99", UnitCost="32.93",
    )  # fmt: skip
    dims = {"ProductConfigurationId": "", "ProductColorId": cell["custom"]["color"],
            "ProductSizeId": cell["custom"]["size"], "ProductStyleId": "", "ProductVersionId": ""}  # fmt: skip
    world.set_d365(
        RELEASED_PRODUCT_VARIANTS,
        {"dataAreaId": "usrt", "ProductMasterNumber": "FLIPFLOP", **dims},
        ItemNumber="FLIPFLOP", ProductVariantNumber="FLIPFLOP-S-BLK", ProductName="Flip Flops S Black",
    )  # fmt: skip
    world.d365.store.delete(  # the barcode moved from the single product to the variant
        PRODUCT_BARCODES.name,
        next(
            tuple(row[k] for k in PRODUCT_BARCODES.keys)
            for row in world.d365.store.rows(PRODUCT_BARCODES.name)
            if row["ItemNumber"] == "SKU-10372"
        ),
    )
    world.set_d365(
        PRODUCT_BARCODES,
        {"dataAreaId": "usrt", "ItemNumber": "FLIPFLOP", **dims, "ProductQuantityUnitSymbol": "ea",
         "BarcodeSetupId": "UPC-A", "Barcode": upc},
        IsDefaultScannedBarcode="Yes",
    )  # fmt: skip
    world.pull()

    world.match()

    [variant] = rows(world, "item_number = 'FLIPFLOP'")
    assert variant == {
        "match_status": "matched", "match_rule": "barcode", "legal_entity": "usrt",
        "item_number": "FLIPFLOP", "product_color_id": "Black", "product_size_id": "S",
        "retail_item_id": str(cell["id"]), "retail_public_id": "SKU-10372",
        "barcode": upc, "upc": upc, "grid_id": str(cell["grid_id"]),
    }  # fmt: skip
    assert rows(world, "item_number = 'SKU-10372'")[0]["match_status"] == "unmatched_d365"


def test_the_match_runs_as_an_asset_and_its_check_warns_of_the_ambiguous_barcode(
    world: ProductWorld,
) -> None:
    # The instance is held for the run: Dagster keeps only a weak reference to it while it loads
    # the definitions, and an instance collected mid-run fails it.
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [products, no_barcode_claimed_twice],
            resources={
                "warehouse": world.warehouse,
                "mappings": MappingsResource(directory=str(world.settings.mappings_dir)),
            },
            instance=instance,
        )

    assert result.success
    [materialization] = result.asset_materializations_for_node("canonical__products")
    assert materialization.metadata["ambiguous_barcode"].value == 3
    assert materialization.metadata["unmatched_retail"].value == 2
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN


def test_a_barcode_written_as_ean13_in_d365_is_the_same_code_as_the_retail_upc(
    world: ProductWorld,
) -> None:
    [old] = [
        r for r in world.d365.store.rows(PRODUCT_BARCODES.name) if r["ItemNumber"] == "SKU-10001"
    ]
    world.d365.store.delete(PRODUCT_BARCODES.name, tuple(old[k] for k in PRODUCT_BARCODES.keys))
    world.set_d365(
        PRODUCT_BARCODES,
        {**{k: old[k] for k in PRODUCT_BARCODES.keys}, "Barcode": "0 084217 00001 5"},
        IsDefaultScannedBarcode="Yes",
    )
    world.pull()

    world.match()

    [row] = rows(world, "item_number = 'SKU-10001'")
    assert (row["match_rule"], row["barcode"], row["upc"]) == (
        "barcode", "0 084217 00001 5", "084217000015",
    )  # fmt: skip
