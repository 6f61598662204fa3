"""A store whose D365 dimension value is missing from gl_store_dimensions.csv holds its day's
journal (``accounts_in_chart``: the store's lines have no Department); ``hl-d365 mappings
suggest`` proposes the value from what the files hold (the Department values D365 has, what the
sibling stores of its legal entity carry, the store's own department in stores.csv), first and
with its reason; ``hl-d365 mappings approve`` appends the row and rebuilds the held day, whose
checks then pass. Real components: the sandbox day, the daily job, DuckDB, a Dagster instance."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.sandbox import DefectRates
from hl_d365_assets_tests.conftest import rematerialise
from hl_d365_assets_tests.held_days import HELD_DAY, land_small_day

pytestmark = pytest.mark.schedule_first

STORE = "S002"
DIMENSION = "Department"
# The journals and every asset they read (reconciliation is one multi-asset, selected whole).
JOURNALS_AND_INPUTS = (
    dg.AssetSelection.assets(dg.AssetKey(["gl", "journal_lines"]))
    .upstream()
    .required_multi_asset_neighbors()
)


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, {"day": HELD_DAY}).fetchall()


def test_a_day_held_by_a_store_without_its_department_is_suggested_approved_and_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = land_small_day(tmp_path, HELD_DAY, DefectRates.none())
    dimensions = settings.mappings_dir / "gl_store_dimensions.csv"
    lines = dimensions.read_text().splitlines(keepends=True)
    [dropped] = [line for line in lines if line.startswith(f"{STORE},{DIMENSION},")]
    dimensions.write_text("".join(line for line in lines if line != dropped))
    # The daily job's general ledger and what it reads only: the held journal and its checks
    # are the same as a whole day's run makes, whose risk, alert, inventory and order steps it skips.
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(settings, instance, [HELD_DAY], JOURNALS_AND_INPUTS).success
    held = query(
        settings.warehouse_path,
        "SELECT detail FROM gl.journal_checks WHERE business_date = $day "
        "AND check_name = 'accounts_in_chart' AND NOT passed",
    )
    assert held and f"store {STORE} has no {DIMENSION} value" in held[0][0]

    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HL_D365_MAPPINGS_DIR", str(settings.mappings_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    assert main(["mappings", "suggest"]) == 0
    listed = capsys.readouterr().out
    assert "1 unmapped value(s), 3 suggestion(s) (offline)" in listed
    suggested = re.findall(
        rf"^(MS_\w+) +open +store_dimension +{DIMENSION} {STORE} +(\d) +([\d.]+) +(.+)$\n"
        r"^ +why: (.+)$",
        listed,
        re.MULTILINE,
    )
    [(first, rank, confidence, target, why)] = suggested[:1]
    # S002 is a RETAIL store in stores.csv, and the other RETAIL store of usrt carries RETAIL.
    assert (rank, target) == ("1", "Department RETAIL (Retail stores)")
    assert float(confidence) > max(float(c) for _, _, c, _, _ in suggested[1:])
    assert "other usrt stores of department RETAIL carry Department RETAIL" in why
    before = dimensions.read_text()

    assert main(["mappings", "approve", first, "--by", "alice"]) == 0
    approved = capsys.readouterr().out
    assert dimensions.read_text() == before + f"{STORE},{DIMENSION},RETAIL,{HELD_DAY}\n"
    assert f"rebuilding the held days from the landing zone: {HELD_DAY}" in approved
    assert query(
        settings.warehouse_path,
        "SELECT bool_and(passed) FROM gl.journal_checks WHERE business_date = $day",
    ) == [(True,)]
    assert query(
        settings.warehouse_path,
        "SELECT count(*) FROM gl.journal_lines WHERE business_date = $day "
        "AND mapping_issue IS NOT NULL",
    ) == [(0,)]
    assert main(["mappings", "suggest"]) == 0
    assert "0 unmapped value(s), 0 suggestion(s)" in capsys.readouterr().out


def test_a_missing_business_unit_is_a_value_no_other_store_carries() -> None:
    """BusinessUnit is a value per store: the one no store carries yet is suggested first, and
    a value another store already has says whose it is."""
    from hl_d365_assets.mapping_copilot.evidence import sibling_store_evidence
    from hl_d365_assets.mapping_copilot.kinds import KINDS, read_rows, targets_for, value_texts
    from hl_d365_assets.mapping_copilot.suggestions import suggest
    from hl_d365_assets.settings import PROJECT_ROOT

    mappings = PROJECT_ROOT / "mappings"
    kind = KINDS["store_dimension"][0]
    rows = [
        r
        for r in read_rows(mappings, kind.file)
        if (r["store_id"], r["dimension"]) != ("S003", "BusinessUnit")
    ]
    suggestions = suggest(
        value_texts(mappings, kind.name, "BusinessUnit", "S003"),
        targets_for(mappings, kind.name, "BusinessUnit", rows),
        sibling_store_evidence(
            mappings, "BusinessUnit", "S003", kind.rows_in_context(rows, "BusinessUnit")
        ),
    )
    assert [s.target.as_dict["value"] for s in suggestions][:1] == ["003"]
    assert "no store carries 003 yet" in suggestions[0].reason
    assert "is store S00" in suggestions[1].reason


def test_a_store_dimension_value_outside_gl_dimension_values_cannot_be_approved() -> None:
    """Only values of gl_dimension_values.csv (which the D365 pull checks) may be written."""
    from hl_d365_assets.mapping_copilot.language_model import target_problem
    from hl_d365_assets.settings import PROJECT_ROOT

    mappings = PROJECT_ROOT / "mappings"
    assert target_problem(mappings, {"dimension": "Department", "value": "RETAIL"}) is None
    assert target_problem(mappings, {"dimension": "Department", "value": "KIOSK"}) == (
        "Department KIOSK is not in gl_dimension_values.csv"
    )


def test_each_missing_dimension_of_a_store_is_a_value_and_a_payroll_location_replays_payroll(
    tmp_path: Path,
) -> None:
    """A store missing two dimensions is two values (one row each); the same store missing its
    BusinessUnit as a payroll location is a value whose approval replays payroll_job."""
    import shutil

    from hl_d365_assets.mapping_copilot import queue
    from hl_d365_assets.settings import PROJECT_ROOT
    from hl_d365_assets.warehouse import ensure_schema

    mappings = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", mappings, ignore=shutil.ignore_patterns("*.py"))
    dimensions = mappings / "gl_store_dimensions.csv"
    dimensions.write_text(
        "".join(
            line
            for line in dimensions.read_text().splitlines(keepends=True)
            if not line.startswith("S003,")
        )
    )
    line = (
        "business_date, journal_key, legal_entity, currency, line_key, line_number, text, "
        "amount, debit_amount, credit_amount, source_count, mapping_issue"
    )
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        ensure_schema(conn)
        conn.execute(
            f"INSERT INTO gl.journal_lines ({line}, line_type, posting_kinds) VALUES "
            "('2026-11-10', 'J1', 'usrt', 'USD', 'L1', 1, 'sales', 1, 0, 1, 1, 'store S003 has "
            "no BusinessUnit, Department value in mappings/gl_store_dimensions.csv valid on "
            "2026-11-10', 'sale', 'revenue')"
        )
        conn.execute(
            f"INSERT INTO gl.payroll_journal_lines ({line}, run_key, pay_group, payroll_run_id, "
            "item_classes) VALUES ('2026-11-06', 'J2', 'usrt', 'USD', 'L2', 1, 'wages', 1, 1, 0, "
            "1, 'location S003 has no BusinessUnit in mappings/gl_store_dimensions.csv valid on "
            "2026-11-06', 'R1', 'WEEKLY', 'P1', 'EARNING')"
        )
        report = queue.refresh(conn, mappings)
        firsts = {
            (s["mapping_kind"], s["context"], s["unmapped_value"]): (s["target"], s["replay_job"])
            for s in queue.list_suggestions(conn)
            if s["suggestion_rank"] == 1
        }
    assert report.values == 3
    assert firsts == {
        ("store_dimension", "BusinessUnit", "S003"): (
            "BusinessUnit 003 (Denver Union Station)",
            "daily_heartland_job",
        ),
        ("store_dimension", "Department", "S003"): (
            "Department OUTLET (Outlet stores)",
            "daily_heartland_job",
        ),
        ("payroll_location_dimension", "BusinessUnit", "S003"): (
            "BusinessUnit 003 (Denver Union Station)",
            "payroll_job",
        ),
    }
