"""A Heartland Retail item whose D365 product carries another item number and no shared barcode
stays unmatched (``product_unmatched_retail``); ``hl-d365 mappings suggest`` puts that D365
product first, with its reason; approving writes one line to ``mappings/product_matches.csv``,
and the product match, replayed as one run of ``product_matching_job`` over
``canonical/products`` (the match is not per business day), pairs them and the exception
clears. From the Launchpad, the replay sensor asks for exactly that run. Real components: the
D365 and Retail simulators pulled by the production pulls, DuckDB, a Dagster instance."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.mapping_copilot import queue
from hl_d365_assets.sandbox.d365_simulator.entities import RELEASED_PRODUCTS
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets_tests.held_days import launch_decision, replay_requests
from hl_d365_assets_tests.product_world import ProductWorld

ITEM_ID, PUBLIC_ID = "20478", "SKU-10478"  # Retail's "Heritage Serving Bowl", no D365 twin
D365_ITEM = "HSB-2210"
HEADER = "retail_item_id,d365_item_number,description,valid_from\n"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ProductWorld]:
    """The sandbox catalogues, with the bowl released in D365 under an item number of its own,
    a reworded name and no barcode: neither rule pairs it."""
    world = ProductWorld.build(tmp_path)
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings, ignore=shutil.ignore_patterns("*.py"))
    world.settings = dataclasses.replace(world.settings, mappings_dir=mappings)
    world.set_d365(
        RELEASED_PRODUCTS,
        {"dataAreaId": "usrt", "ItemNumber": D365_ITEM},
        ProductNumber=D365_ITEM, SearchName="Serving Bowl, Heritage", ProductSubType="Product",
        SalesPrice="24.99", UnitCost="11.20",
    )  # fmt: skip
    world.pull()
    world.match()
    yield world
    world.close()


def unmatched(world: ProductWorld) -> list[tuple]:
    return world.query(
        "SELECT status, detail FROM recon.exceptions WHERE kind = 'product_unmatched_retail' "
        "AND source_keys = $keys",
        {"keys": f"retail_item_id={ITEM_ID}, public_id={PUBLIC_ID}"},
    )


def test_an_unmatched_retail_item_is_suggested_approved_and_matched_by_the_cli(
    world: ProductWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [(status, detail)] = unmatched(world)
    assert status == "open" and "no D365 SKU of usrt has barcode" in detail
    monkeypatch.setenv("HL_D365_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("HL_D365_MAPPINGS_DIR", str(world.settings.mappings_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))

    assert main(["mappings", "suggest"]) == 0
    listed = capsys.readouterr().out
    suggested = re.findall(
        rf"^(MS_\w+) +open +product_match +{ITEM_ID} +(\d) +([\d.]+) +(.+)$\n^ +why: (.+)$",
        listed,
        re.MULTILINE,
    )
    [(first, rank, confidence, target, why)] = suggested
    # Linen Apron, Ceramic Teapot and Gift Wrap Roll are D365 SKUs no item holds too, but
    # nothing points to them: their names do not read like a serving bowl.
    assert (rank, target) == ("1", f"{D365_ITEM} (Serving Bowl, Heritage)")
    assert float(confidence) >= 0.9
    assert why.startswith('"Heritage Serving Bowl" reads like "Serving Bowl, Heritage"')
    # The other unmatched item (Studio Serving Bowl) reads like the same bowl, less well; it is
    # a suggestion of its own value.
    [other] = re.findall(r"^(MS_\w+) +open +product_match +20479 +1 ", listed, re.MULTILINE)
    matches = world.settings.mappings_dir / "product_matches.csv"
    assert matches.read_text() == HEADER

    assert main(["mappings", "approve", first, "--by", "alice"]) == 0
    approved = capsys.readouterr().out
    [snapshot] = world.query("SELECT max(business_date) FROM raw.retail_items")[0]
    assert matches.read_text() == (
        HEADER + f"{ITEM_ID},{D365_ITEM},{ITEM_ID} (mapping suggestion {first}),{snapshot}\n"
    )
    assert "product_matching_job over canonical/products: SUCCESS" in approved
    assert world.query(
        "SELECT match_status, match_rule, item_number FROM canonical.products "
        "WHERE retail_item_id = $item",
        {"item": ITEM_ID},
    ) == [("matched", "mapping_file", D365_ITEM)]
    assert [status for status, _ in unmatched(world)] == ["cleared"]
    # The studio bowl's suggestion names the SKU the heritage bowl now holds: a second row would
    # pair neither, so it is refused and nothing is written.
    assert main(["mappings", "approve", other, "--by", "alice"]) == 1
    assert f"D365 item {D365_ITEM} is already paired with Retail item {ITEM_ID}" in (
        capsys.readouterr().err
    )
    assert matches.read_text().count(D365_ITEM) == 1
    assert main(["mappings", "suggest"]) == 0
    assert f"product_match {ITEM_ID}" not in capsys.readouterr().out


def test_approving_from_the_launchpad_replays_exactly_the_product_match(
    world: ProductWorld,
) -> None:
    with world.warehouse.writer() as conn:
        queue.refresh(conn, world.settings.mappings_dir)
        [first] = [
            s["suggestion_id"]
            for s in queue.list_suggestions(conn)
            if s["unmapped_value"] == ITEM_ID and s["suggestion_rank"] == 1
        ]
    resources = build_resources(world.settings)
    with dg.DagsterInstance.ephemeral() as instance:
        decided = launch_decision(instance, resources, first, "alice")
        assert decided.success
        [request] = replay_requests(instance, decided)
        assert (request.job_name, request.partition_key, request.asset_selection) == (
            "product_matching_job",
            None,
            [dg.AssetKey(["canonical", "products"])],
        )
        from hl_d365_assets.definitions import defs

        replayed = (
            defs.resolve_job_def(request.job_name)
            .get_subset(asset_selection=set(request.asset_selection))
            .execute_in_process(instance=instance, resources=resources, tags=request.tags)
        )
    assert replayed.success
    assert [status for status, _ in unmatched(world)] == ["cleared"]


def test_a_value_nothing_points_to_has_no_suggestion_and_the_list_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A payroll department code that reads like no department and no row (``7Q``): no three
    suggestions at 0.00, and the list names the value with the reason there is none."""
    import duckdb

    from hl_d365_assets.mapping_copilot.kinds import targets_for, value_texts
    from hl_d365_assets.mapping_copilot.suggestions import suggest
    from hl_d365_assets.warehouse import ensure_schema

    mappings = PROJECT_ROOT / "mappings"
    kind = "payroll_department"
    assert suggest(value_texts(mappings, kind, "", "7Q"), targets_for(mappings, kind, "")) == []

    data = tmp_path / "data"
    data.mkdir()
    with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
        ensure_schema(conn)
        conn.execute(
            "INSERT INTO gl.payroll_journal_lines (business_date, journal_key, legal_entity, "
            "currency, line_key, line_number, text, amount, debit_amount, credit_amount, "
            "source_count, mapping_issue, run_key, pay_group, payroll_run_id, item_classes) "
            "VALUES ('2026-11-06', 'J2', 'usrt', 'USD', 'L2', 1, 'wages', 1, 1, 0, 1, "
            "'department 7Q has no row in mappings/payroll_departments.csv valid on "
            "2026-11-06', 'R1', 'WEEKLY', 'P1', 'EARNING')"
        )
    monkeypatch.setenv("HL_D365_DATA_DIR", str(data))
    monkeypatch.setenv("HL_D365_MAPPINGS_DIR", str(mappings))
    assert main(["mappings", "suggest"]) == 0
    said = "payroll_department 7Q: no suggestion: nothing in the mapping files or data points to a target"
    out = capsys.readouterr().out
    assert "1 unmapped value(s), 0 suggestion(s) (offline)" in out and said in out
    assert main(["mappings", "list"]) == 0
    assert said in capsys.readouterr().out
    # The same in the UI: the refresh run's metadata.
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.settings import load_settings

    with dg.DagsterInstance.ephemeral() as instance:
        refreshed = defs.resolve_job_def("suggest_mappings_job").execute_in_process(
            instance=instance, resources=build_resources(load_settings())
        )
    [listed] = [
        e.step_output_data.metadata["no_suggestion"].value
        for e in refreshed.all_events
        if e.is_successful_output
    ]
    assert listed == f"- {said}"


def test_a_row_of_product_matches_wins_over_the_barcode_and_the_newest_valid_row_applies(
    world: ProductWorld,
) -> None:
    """The file is a person's decision: it pairs an item with a SKU its barcode would not, the
    newest row valid on the Retail snapshot applies (a later-dated one waits), and a SKU two
    items' rows name is paired by neither row (the rules apply to them as if unwritten)."""
    [snapshot] = world.query("SELECT max(business_date) FROM raw.retail_items")[0]
    (world.settings.mappings_dir / "product_matches.csv").write_text(
        HEADER
        + "20001,SKU-10481,Apron sold under the mug's UPC,2020-01-01\n"
        + f"{ITEM_ID},SKU-10482,first guess,2020-01-01\n"
        + f"{ITEM_ID},{D365_ITEM},the bowl,{snapshot}\n"
        + "20479,SKU-10483,from next year,2099-01-01\n"
        + "20002,SKU-10480,two items name one SKU,2020-01-01\n"
        + "20003,SKU-10480,two items name one SKU,2020-01-01\n"
    )

    world.match()

    paired = world.query(
        "SELECT retail_item_id, item_number, match_rule FROM canonical.products "
        "WHERE retail_item_id IN ('20001', $item, '20479', '20002', '20003') ORDER BY 1",
        {"item": ITEM_ID},
    )
    assert paired == [
        ("20001", "SKU-10481", "mapping_file"),
        ("20002", "SKU-10002", "barcode"),
        ("20003", "SKU-10003", "barcode"),
        (ITEM_ID, D365_ITEM, "mapping_file"),
        ("20479", None, None),
    ]
    # The mug's D365 SKU lost its item to the file's row: now on one side only.
    assert world.query(
        "SELECT match_status FROM canonical.products WHERE item_number = 'SKU-10001'"
    ) == [("unmatched_d365",)]


def test_the_evaluation_does_not_hold_out_product_matches(tmp_path: Path) -> None:
    """A held-out pair's SKU is in no other row of the file, and the candidates are the
    warehouse's D365 SKUs, which the file-only evaluation does not read: no figure at all,
    rather than a zero that says nothing."""
    from hl_d365_assets.mapping_copilot.evaluation import evaluate

    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings, ignore=shutil.ignore_patterns("*.py"))
    (mappings / "product_matches.csv").write_text(
        HEADER + "".join(f"2{n:04},HSB-{n},bowl {n},2026-11-20\n" for n in range(20))
    )
    report = evaluate(mappings, rounds=1)
    assert "product_match" not in report.by_kind
    assert report.by_kind["retail_payment_type"].held_out > 0


def test_the_shortlist_reads_names_not_item_numbers_issued_in_sequence(
    world: ProductWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SKU-10481 (Linen Apron) reads like SKU-10478 as a code, HSB-2210 does not; a shortlist of
    one keeps the bowl all the same, and the bowl is what is suggested."""
    from hl_d365_assets.mapping_copilot import product_matches

    monkeypatch.setattr(product_matches, "SHORTLIST", 1)
    with world.warehouse.writer() as conn:
        [suggestion] = product_matches.suggest_skus(conn, ITEM_ID, 3)
    assert suggestion.target.as_dict == {"d365_item_number": D365_ITEM}


def test_item_numbers_count_only_as_one_code_written_two_ways() -> None:
    from hl_d365_assets.mapping_copilot.product_matches import same_number

    assert same_number("SKU-10478", "HL-10478") == "10478"
    assert same_number("ab-12", "AB12") == "AB12"
    assert same_number("SKU-10478", "SKU-10481") is None  # issued in sequence: no evidence
    assert same_number("A-12", "B-12") is None  # two digits say nothing
