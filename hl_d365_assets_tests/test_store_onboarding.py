"""A store onboarded by YAML alone (no Python, no hand-edited CSV) gets its day through to a
balanced journal: its YAML's asset writes the rows the mapping files' readers read, and the
daily job loads, maps and journalises its sales like every other store's. Its payment-method
override (JCB settled as Discover, at this store alone) maps its own records and no other
store's. Identifiers stay text through Dagster's YAML rendering: a quoted "007" stays 007.

Real components: the component loaded from a defs.yaml by Dagster's loader, real Dagster runs
(the onboarding asset, then the daily job over a sandbox day), a DuckDB warehouse.
"""

from __future__ import annotations

import dataclasses
import shutil
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster.components.testing import create_defs_folder_sandbox

from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.sandbox import DefectRates, SandboxConfig
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.store_onboarding import OnboardingRefused, missing_rows, write_store
from hl_d365_assets_tests.conftest import generate_days, make_settings, run_day

# One sandbox day through the daily job, about a minute on the shared 2 cores: started first
# under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 20)
STORE_BASE_YAML = textwrap.dedent(
    """\
    type: hl_d365_assets.components.StoreOnboarding
    attributes:
      store_id: S007
      merchant_id: MER_5d7f9b1c3e5a7c9e1b3d5f7a9c1e3b5d
      store_name: Phoenix Camelback
      legal_entity: usrt
      currency: USD
      timezone: America/Phoenix
      tax_code: CO-STD
      department: RETAIL
      valid_from: "2026-01-01"
      dimensions:
        BusinessUnit: "007"
        Department: RETAIL
      warehouse:
        inventory_site_id: US
        inventory_warehouse_id: PHX
    """
)
# The other stores' JCB cards clear as JCB; this store's acquirer settles them as Discover.
STORE_YAML = STORE_BASE_YAML + textwrap.indent(
    textwrap.dedent(
        """\
        payment_methods:
          - source_field: card_brand
            source_value: JCB
            payment_method_code: DISC
            description: JCB acquired on the Discover network at this store
        """
    ),
    "  ",
)


def load_store(yaml_text: str) -> tuple[dg.Component, dg.Definitions]:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "store"
        folder.mkdir()
        (folder / "defs.yaml").write_text(yaml_text)
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            return component, defs


def causes(error: BaseException | None) -> str:
    text = []
    while error is not None:
        text.append(str(error))
        error = error.__cause__
    return "\n".join(text)


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Store S007 added by its YAML; its onboarding asset run; a sandbox day run through the
    daily job."""
    root = tmp_path_factory.mktemp("onboarding")
    mappings = root / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    settings = dataclasses.replace(make_settings(root / "data"), mappings_dir=mappings)
    _, defs = load_store(STORE_YAML)
    with dg.DagsterInstance.ephemeral() as instance:
        onboarding = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            resources={"mappings": MappingsResource(directory=str(mappings))},
            instance=instance,
        )
        assert onboarding.success
        [check] = onboarding.get_asset_check_evaluations()
        assert check.passed
        generate_days(
            settings,
            [DAY],
            SandboxConfig(
                seed=7,
                transactions_per_store_day=30,
                defect_rates=DefectRates.none(),
                mappings_dir=mappings,
            ),
            ground_truth_path=settings.data_dir / "truth.ndjson",
        )
        assert run_day(settings, instance, DAY).success
        yield settings


def test_the_yaml_writes_the_rows_the_mapping_readers_read(onboarded) -> None:
    mappings = onboarded.mappings_dir
    assert (
        "S007,MER_5d7f9b1c3e5a7c9e1b3d5f7a9c1e3b5d,Phoenix Camelback,usrt,USD,America/Phoenix,"
        "CO-STD,RETAIL,2026-01-01" in (mappings / "stores.csv").read_text().splitlines()
    )
    assert "S007,BusinessUnit,007,2026-01-01" in (mappings / "gl_store_dimensions.csv").read_text()
    assert (
        "BusinessUnit,007,Phoenix Camelback" in (mappings / "gl_dimension_values.csv").read_text()
    )
    assert "S007,usrt,US,PHX" in (mappings / "store_warehouses.csv").read_text()
    # The other stores' rows are as they were, in their order; the override is one added line.
    for name in ("stores.csv", "payment_methods.csv"):
        original = (PROJECT_ROOT / "mappings" / name).read_bytes()
        assert (mappings / name).read_bytes().startswith(original)
    assert (mappings / "payment_methods.csv").read_bytes()[len(original) :] == (
        b"card_brand,JCB,DISC,JCB acquired on the Discover network at this store,2026-01-01,S007\n"
    )


def test_the_new_store_gets_its_day_through_to_a_balanced_journal(onboarded) -> None:
    sales = query(
        onboarded,
        "SELECT count(*), count(mapping_issue) FROM canonical.payments "
        f"WHERE store_id = 'S007' AND business_date = DATE '{DAY}'",
    )
    assert sales[0][0] > 0 and sales[0][1] == 0
    lines = query(
        onboarded,
        "SELECT DISTINCT journal_key FROM gl.journal_lines "
        "WHERE dimension_values LIKE '%BusinessUnit=007%'",
    )
    assert lines == [(f"usrt-{DAY}-USD",)]
    [(balanced, checks_passed)] = query(
        onboarded,
        f"SELECT balanced, checks_passed FROM gl.journals WHERE journal_key = 'usrt-{DAY}-USD'",
    )
    assert balanced and checks_passed


def test_the_stores_override_maps_its_own_records_and_no_other_stores(onboarded) -> None:
    """S007's JCB cards map to Discover from its payment, POS tender and settlement to the
    journal line (Discover's clearing account); S001's JCB cards keep JCB."""
    by_store = query(
        onboarded,
        "SELECT 'payments', store_id, payment_method_code, count(*) FROM canonical.payments "
        "WHERE card_brand = 'JCB' GROUP BY ALL UNION ALL "
        "SELECT 'pos_tenders', store_id, payment_method_code, count(*) FROM canonical.pos_tenders "
        "WHERE card_brand = 'JCB' GROUP BY ALL UNION ALL "
        "SELECT 'settlement_fees', store_id, payment_method_code, count(*) "
        "FROM canonical.settlement_fees WHERE card_brand = 'JCB' GROUP BY ALL",
    )
    codes = {(table, store): code for table, store, code, _ in by_store}
    for table in ("payments", "pos_tenders", "settlement_fees"):
        assert codes[(table, "S007")] == "DISC", table
        assert codes[(table, "S001")] == "JCB", table
    assert all(store in ("S001", "S007") for _, store, _, _ in by_store)
    accounts = query(
        onboarded,
        "SELECT t.store_id, list(DISTINCT l.main_account), "
        "  (SELECT list(main_account) FROM ref.gl_posting_rules "
        "   WHERE posting_kind = 'tender' AND match_value = CASE t.store_id "
        "   WHEN 'S007' THEN 'DISC' ELSE 'JCB' END) "
        "FROM canonical.pos_tenders AS t "
        "JOIN gl.journal_line_sources AS s "
        "  ON s.source_table = 'canonical.pos_tenders' AND s.source_id = t.tender_id "
        "  AND s.posting_kind = 'tender' "
        "JOIN gl.journal_lines AS l ON l.line_key = s.line_key "
        "WHERE t.card_brand = 'JCB' GROUP BY ALL ORDER BY 1",
    )
    assert [store for store, _, _ in accounts] == ["S001", "S007"]
    for store, used, expected in accounts:
        assert used == expected, store
    assert accounts[0][1] != accounts[1][1]
    [(mapped,)] = query(
        onboarded,
        "SELECT count(*) FILTER (mapping_issue IS NOT NULL) FROM canonical.payments "
        "WHERE store_id IN ('S001', 'S007')",
    )
    assert mapped == 0


def test_onboarding_again_changes_no_file(onboarded, tmp_path: Path) -> None:
    _, defs = load_store(STORE_YAML)
    before = {p.name: p.read_bytes() for p in onboarded.mappings_dir.glob("*.csv")}
    result = dg.materialize(
        list(defs.assets),
        resources={"mappings": MappingsResource(directory=str(onboarded.mappings_dir))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    [materialization] = result.asset_materializations_for_node("onboarding__store_S007")
    assert materialization.metadata["files_changed"].value == "none"
    assert {p.name: p.read_bytes() for p in onboarded.mappings_dir.glob("*.csv")} == before


def test_a_quoted_identifier_stays_text_through_the_yaml_rendering() -> None:
    component, _ = load_store(
        STORE_YAML.replace("store_id: S007", 'store_id: "007"').replace(
            "Department: RETAIL\n", 'Department: "0042"\n'
        )
    )
    rows = component.rows()
    assert rows.store["store_id"] == "007"
    assert rows.dimensions == {"BusinessUnit": "007", "Department": "0042"}


def test_an_unquoted_number_is_refused_not_turned_into_another_identifier() -> None:
    with pytest.raises(Exception) as refused:
        load_store(STORE_YAML.replace('BusinessUnit: "007"', "BusinessUnit: 007"))
    assert "string" in causes(refused.value)


def test_payment_method_overrides_are_the_stores_own_rows(tmp_path: Path) -> None:
    """A remap of a value every store maps (VISA) and a value no store maps (EBT) both become rows
    naming the store; the all-stores rows are untouched; editing the YAML replaces the store's
    rows, and the onboarding check fails until it is materialised."""
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    original = (mappings / "payment_methods.csv").read_bytes()
    yaml = STORE_BASE_YAML.replace("S007", "S008") + textwrap.indent(
        "payment_methods:\n"
        "  - {source_field: card_brand, source_value: Visa, payment_method_code: VISA_AZ}\n"
        "  - {source_field: tender_type, source_value: EBT, payment_method_code: EBT}\n",
        "  ",
    )
    component, _ = load_store(yaml)
    report = write_store(mappings, component.rows())
    assert report.payment_methods_added == ["card_brand=Visa", "tender_type=EBT"]
    assert (mappings / "payment_methods.csv").read_bytes() == original + (
        b"card_brand,Visa,VISA_AZ,,2026-01-01,S008\ntender_type,EBT,EBT,,2026-01-01,S008\n"
    )
    assert missing_rows(mappings, component.rows()) == []

    edited, _ = load_store(yaml.replace("VISA_AZ", "VISA_PHX"))
    assert missing_rows(mappings, edited.rows()) == ["payment_methods.csv"]
    write_store(mappings, edited.rows())
    assert (mappings / "payment_methods.csv").read_bytes() == original + (
        b"card_brand,Visa,VISA_PHX,,2026-01-01,S008\ntender_type,EBT,EBT,,2026-01-01,S008\n"
    )
    assert missing_rows(mappings, edited.rows()) == []


def test_a_value_overridden_twice_is_refused_and_nothing_written(tmp_path: Path) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    before = {p.name: p.read_bytes() for p in mappings.glob("*.csv")}
    component, _ = load_store(
        STORE_BASE_YAML
        + "  payment_methods:\n"
        + "    - {source_field: tender_type, source_value: EBT, payment_method_code: EBT}\n"
        + "    - {source_field: tender_type, source_value: ebt, payment_method_code: SNAP}\n"
    )
    with pytest.raises(OnboardingRefused, match="overridden twice: \\['tender_type EBT'\\]"):
        write_store(mappings, component.rows())
    assert {p.name: p.read_bytes() for p in mappings.glob("*.csv")} == before


def test_a_store_naming_an_unknown_tax_code_is_refused(tmp_path: Path) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings)
    component, _ = load_store(STORE_YAML.replace("tax_code: CO-STD", "tax_code: AZ-STD"))
    with pytest.raises(OnboardingRefused, match="AZ-STD"):
        write_store(mappings, component.rows())
    assert "S007" not in (mappings / "stores.csv").read_text()
