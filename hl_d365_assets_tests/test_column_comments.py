"""Every table, view and column an analyst can open says what it holds, in the warehouse itself.

The words live once, in ``COMMENT ON`` at the end of the SQL file that creates each table
(``sql/<layer>/create_*.sql``, ``sql/ref/load_*.sql``, ``sql/views/``); ``duckdb_columns()``
shows them to an analyst and ``table_metadata`` turns them into the Dagster UI's column schema.
A table or column added without a comment fails here, named, whichever helper added it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.sandbox import SandboxConfig, generate
from hl_d365_assets.table_metadata import table_metadata
from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets_tests.conftest import make_settings, run_day

DAY = date(2026, 11, 16)
LAYERS = {"raw", "canonical", "mdm", "risk", "recon", "gl", "ops", "ref"}
# The lineage suffix table_metadata reads ("Source: raw.table(col, col)"): not a description.
LINEAGE = re.compile(r"Source:\s*\w+\.\w+\([^)]*\)")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, instance: dg.DagsterInstance) -> Path:
    """A warehouse with one small sandbox day materialised through the real job, so every table,
    view and mapping table exists as a user finds it."""
    settings = make_settings(tmp_path_factory.mktemp("column_comments") / "data")
    generate(
        LandingZone(settings.landing_dir),
        [DAY],
        SandboxConfig(seed=5, transactions_per_store_day=20),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )
    assert run_day(settings, instance, DAY, raise_on_error=False).success
    # The DDL and the mapping loads once more, as any later step would run them.
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        ensure_schema(conn)
        load_mappings(conn, settings.mappings_dir)
    return settings.warehouse_path


def description(comment: str | None) -> str:
    return LINEAGE.sub("", comment or "").strip()


def undocumented_columns(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """schema.table.column of every column (of every table and view of the database, temporary
    ones aside) whose comment is missing, only a lineage note, or just its name or type."""
    columns = conn.execute(
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND NOT internal "
        "ORDER BY schema_name, table_name, column_index"
    ).fetchall()
    return [
        f"{schema}.{table}.{column}"
        for schema, table, column, data_type, comment in columns
        if description(comment).rstrip(".").lower() in {"", column.lower(), data_type.lower()}
    ]


def undocumented_relations(conn: duckdb.DuckDBPyConnection) -> list[str]:
    relations = conn.execute(
        "SELECT schema_name, table_name, 'table', comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT internal "
        "UNION ALL SELECT schema_name, view_name, 'view', comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal ORDER BY ALL"
    ).fetchall()
    return [
        f"{kind} {schema}.{name}"
        for schema, name, kind, comment in relations
        if not description(comment)
    ]


def test_every_column_of_every_table_and_view_is_documented(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        schemas = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT schema_name FROM duckdb_columns() WHERE database_name = current_database() AND NOT internal"
            ).fetchall()
        }
        missing = undocumented_columns(conn)

    assert schemas >= LAYERS, f"the warehouse lacks layers: {sorted(LAYERS - schemas)}"
    assert missing == [], (
        f"{len(missing)} column(s) without a COMMENT ON COLUMN saying what they hold "
        f"(add it at the end of the sql/ file that creates the table): {missing}"
    )


def test_every_table_and_view_is_documented(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        missing = undocumented_relations(conn)

    assert missing == [], f"without COMMENT ON TABLE / VIEW: {missing}"


def test_a_column_added_without_a_comment_is_named() -> None:
    with duckdb.connect() as conn:
        ensure_schema(conn)
        conn.execute("ALTER TABLE recon.exceptions ADD COLUMN reviewer VARCHAR").fetchall()
        conn.execute("ALTER TABLE recon.exceptions ADD COLUMN priority VARCHAR").fetchall()
        conn.execute("COMMENT ON COLUMN recon.exceptions.priority IS 'Priority.'").fetchall()
        conn.execute("CREATE VIEW ops.scratch AS SELECT 1 AS n").fetchall()

        assert undocumented_columns(conn) == [
            "ops.scratch.n",
            "recon.exceptions.reviewer",
            "recon.exceptions.priority",
        ]
        assert undocumented_relations(conn) == ["view ops.scratch"]


def test_the_ui_column_schema_shows_the_same_words(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        comments = dict(
            conn.execute(
                "SELECT column_name, comment FROM duckdb_columns() "
                "WHERE schema_name = 'recon' AND table_name = 'exceptions'"
            ).fetchall()
        )
        schema = table_metadata(conn, "recon.exceptions", DAY, DAY)["dagster/column_schema"]

    shown = {column.name: column.description for column in schema.columns}
    assert shown.keys() == comments.keys()
    assert all(shown[name] == description(comments[name]) != "" for name in shown)
