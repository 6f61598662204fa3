"""A business rule written as YAML alone becomes an asset check on its table's asset: in a real
Dagster run it fails on the rows that break it, writes them as recon.exceptions (kind
business_rule) that keep an accountant's status across runs, and clears them when fixed. Its SQL
is one expression, refused otherwise, and runs on a read-only connection.

Real components: the component loaded from a defs.yaml by Dagster's own loader, a DuckDB
warehouse file, an in-memory Dagster instance running the check.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster.components.testing import create_defs_folder_sandbox

from hl_d365_assets.business_day import business_days
from hl_d365_assets.business_rules import RuleRefused, guard_expression
from hl_d365_assets.warehouse import WarehouseResource

DAY = "2026-11-20"
ASSET = dg.AssetKey(["canonical", "inventory_on_hand"])
TEST_PAN = "4111 1111 1111 1111"


def rule_yaml(expression: str, *, blocking: bool = True) -> str:
    return textwrap.dedent(
        f"""\
        type: hl_d365_assets.components.BusinessRule
        attributes:
          name: stock_is_counted
          table: canonical.inventory_on_hand
          description: Stock on hand is never negative and every item has a SKU.
          owner: team:stores
          severity: medium
          blocking: {str(blocking).lower()}
          key_columns: [store_id, sku]
          expression: "{expression}"
        """
    )


def load_rule(yaml_text: str) -> tuple[dg.Component, dg.Definitions]:
    """The component and its definitions, loaded from a defs.yaml as `dg` loads the project."""
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "stock_is_counted"
        folder.mkdir()
        (folder / "defs.yaml").write_text(yaml_text)
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            return component, defs


def stock_rows(warehouse: WarehouseResource, rows: list[tuple[str, str | None, str]]) -> None:
    with warehouse.writer() as conn:
        conn.execute("DELETE FROM canonical.inventory_on_hand").fetchall()
        for number, (store_id, sku, qty) in enumerate(rows):
            conn.execute(
                "INSERT INTO canonical.inventory_on_hand (business_date, item_id, sku, "
                "location_id, store_id, qty_on_hand, source_event_id) VALUES "
                "($day, $item, $sku, 'L1', $store, CAST($qty AS DECIMAL(18, 4)), 'E1')",
                {"day": DAY, "item": f"I{number}", "sku": sku, "store": store_id, "qty": qty},
            ).fetchall()


def run_check(
    defs: dg.Definitions, warehouse: WarehouseResource, *, per_day: bool = True
) -> dg.AssetCheckEvaluation:
    [check_key] = [key for checks in defs.asset_checks for key in checks.check_keys]
    partitions = business_days if per_day else None
    job = dg.define_asset_job(
        "business_rule_job",
        selection=dg.AssetSelection.checks(check_key),
        # A job of checks alone cannot infer its partitions from assets.
        partitions_def=partitions,
    )
    whole = dg.Definitions(
        assets=[dg.AssetSpec(ASSET, partitions_def=partitions)],
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources={"warehouse": warehouse},
    )
    result = whole.resolve_job_def("business_rule_job").execute_in_process(
        tags={"dagster/partition": DAY} if per_day else {},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    return WarehouseResource(
        database=str(tmp_path / "warehouse.duckdb"), read_copy=str(tmp_path / "read.duckdb")
    )


def exceptions(warehouse: WarehouseResource) -> list[tuple]:
    with warehouse.writer() as conn:
        return conn.execute(
            "SELECT source_keys, status, still_detected, severity FROM recon.exceptions "
            "WHERE kind = 'business_rule' ORDER BY source_keys"
        ).fetchall()


def test_a_rule_added_by_yaml_fails_on_bad_rows_and_keeps_their_review_status(warehouse):
    _, defs = load_rule(rule_yaml("qty_on_hand >= 0 AND sku IS NOT NULL"))
    stock_rows(
        warehouse,
        [
            ("S001", "SKU-1", "3"),
            ("S001", "SKU-2", "-2"),
            ("S002", None, "5"),
            ("S002", TEST_PAN, "-1"),
        ],
    )

    evaluation = run_check(defs, warehouse)

    assert not evaluation.passed
    assert evaluation.check_name == "stock_is_counted"
    assert evaluation.blocking
    assert evaluation.metadata["rows_checked"].value == 4
    assert evaluation.metadata["failing_rows"].value == 3
    assert TEST_PAN.replace(" ", "") not in str(evaluation.metadata).replace(" ", "")
    found = exceptions(warehouse)
    assert [(keys, status) for keys, status, _, _ in found] == [
        (f"rule=stock_is_counted, store_id=S001, sku=SKU-2, business_date={DAY}", "open"),
        (f"rule=stock_is_counted, store_id=S002, sku=(null), business_date={DAY}", "open"),
        (
            f"rule=stock_is_counted, store_id=S002, sku=411111XXXXXX1111, business_date={DAY}",
            "open",
        ),
    ]

    # The accountant accepts one; the store fixes the other two; the rule runs again.
    with warehouse.writer() as conn:
        conn.execute(
            "UPDATE recon.exceptions SET status = 'accepted', resolution_note = 'write-off' "
            "WHERE source_keys LIKE '%sku=SKU-2%'"
        ).fetchall()
    stock_rows(warehouse, [("S001", "SKU-1", "3"), ("S001", "SKU-2", "-2"), ("S002", "SKU-3", "5")])
    evaluation = run_check(defs, warehouse)

    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 1
    statuses = {
        keys.split(", ")[2]: (status, still) for keys, status, still, _ in exceptions(warehouse)
    }
    assert statuses == {
        "sku=SKU-2": ("accepted", True),
        "sku=(null)": ("cleared", False),
        "sku=411111XXXXXX1111": ("cleared", False),
    }


def test_a_declarative_condition_reads_bounds_as_exact_text(warehouse):
    component, defs = load_rule(
        rule_yaml("true").replace(
            'expression: "true"',
            'condition:\n    column: qty_on_hand\n    between: {min: "0", max: "0.5"}',
        )
    )
    assert component.predicate() == (
        '"qty_on_hand" IS NOT NULL AND "qty_on_hand" >= \'0\' AND "qty_on_hand" <= \'0.5\''
    )
    stock_rows(warehouse, [("S001", "A", "0.5"), ("S001", "B", "0.5001")])

    evaluation = run_check(defs, warehouse)

    assert evaluation.metadata["failing_rows"].value == 1
    assert [keys for keys, *_ in exceptions(warehouse)] == [
        f"rule=stock_is_counted, store_id=S001, sku=B, business_date={DAY}"
    ]


def test_a_rule_on_a_table_that_is_not_per_day_checks_all_of_it_and_clears_what_holds_again(
    warehouse,
):
    _, defs = load_rule(
        rule_yaml("qty_on_hand >= 0", blocking=False).replace(
            "  key_columns:", "  date_column: null\n  key_columns:"
        )
    )
    stock_rows(warehouse, [("S001", "SKU-1", "-1"), ("S002", "SKU-2", "2")])

    evaluation = run_check(defs, warehouse, per_day=False)

    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert [(keys.split(", ")[2], status) for keys, status, _, _ in exceptions(warehouse)] == [
        ("sku=SKU-1", "open")
    ]
    with warehouse.writer() as conn:
        conn.execute("UPDATE recon.exceptions SET business_date = DATE '2026-01-02'").fetchall()
    stock_rows(warehouse, [("S001", "SKU-1", "0")])
    assert run_check(defs, warehouse, per_day=False).passed
    assert [status for _, status, _, _ in exceptions(warehouse)] == ["cleared"]


@pytest.mark.parametrize(
    "expression",
    [
        "1); DROP TABLE canonical.inventory_on_hand; --",
        "true) FROM canonical.inventory_on_hand WHERE (true",
        "qty_on_hand > 0 UNION SELECT true",
        "",
    ],
)
def test_anything_but_one_expression_is_refused_when_definitions_load(expression):
    with pytest.raises(RuleRefused):
        guard_expression(expression)


def test_a_rule_that_reads_files_fails_its_check_on_the_read_only_connection(warehouse):
    stock_rows(warehouse, [("S001", "SKU-1", "3")])
    _, defs = load_rule(rule_yaml("(SELECT count(*) FROM read_csv('/etc/passwd')) > 0"))

    evaluation = run_check(defs, warehouse)

    assert not evaluation.passed
    assert "disabled" in evaluation.metadata["rule_not_run"].value
    assert "root:" not in str(evaluation.metadata)


def test_a_rule_that_would_write_is_refused_when_definitions_load(warehouse):
    stock_rows(warehouse, [("S001", "SKU-1", "3")])
    with pytest.raises(Exception) as refused:
        load_rule(
            rule_yaml(
                "(SELECT count(*) FROM (DELETE FROM canonical.inventory_on_hand RETURNING *)) = 0"
            )
        )
    causes, cause = [], refused.value
    while cause is not None:
        causes.append(str(cause))
        cause = cause.__cause__
    assert any("not one SQL expression" in text for text in causes)
    with warehouse.writer() as conn:
        assert conn.execute("SELECT count(*) FROM canonical.inventory_on_hand").fetchall() == [(1,)]


def test_the_seed_rules_ship_as_yaml_checks():
    from hl_d365_assets.definitions import defs

    keys = defs.resolve_asset_graph().asset_check_keys
    assert dg.AssetCheckKey(dg.AssetKey(["raw", "retail_tickets"]), "validate_customer_id") in keys
    assert (
        dg.AssetCheckKey(dg.AssetKey(["canonical", "inventory_on_hand"]), "check_inventory_levels")
        in keys
    )
    assert date.fromisoformat(DAY)
