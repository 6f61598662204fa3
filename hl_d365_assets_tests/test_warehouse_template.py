"""A new warehouse gets its catalog copied from a template the DDL made once, not by running
the DDL again: the copy must be the very catalog the DDL gives, comments and constraints too."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from hl_d365_assets import warehouse
from hl_d365_assets.warehouse import ensure_schema, schema_template

# Each kind of catalog entry, of the connection's current database only.
CATALOG = {
    "schemas": "SELECT schema_name, comment FROM duckdb_schemas() WHERE {this}",
    "tables": "SELECT schema_name, table_name, comment, sql FROM duckdb_tables() WHERE {this}",
    "columns": "SELECT schema_name, table_name, column_name, column_index, comment, "
    "column_default, is_nullable, data_type FROM duckdb_columns() WHERE {this}",
    "constraints": "SELECT schema_name, table_name, constraint_index, constraint_type, "
    "constraint_text, constraint_column_names FROM duckdb_constraints() WHERE {this}",
    "views": "SELECT schema_name, view_name, comment, sql FROM duckdb_views() "
    "WHERE {this} AND NOT internal",
    "macros": "SELECT schema_name, function_name, function_type, comment, parameters, "
    "macro_definition FROM duckdb_functions() WHERE {this} "
    "AND function_type IN ('macro', 'table_macro') AND NOT internal",
    "sequences": "SELECT schema_name, sequence_name, start_value, increment_by "
    "FROM duckdb_sequences() WHERE {this}",
    "indexes": "SELECT schema_name, table_name, index_name, sql FROM duckdb_indexes() WHERE {this}",
}


def catalog(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    this = "database_name = current_database()"
    return {
        kind: sorted(map(repr, conn.execute(query.format(this=this)).fetchall()))
        for kind, query in CATALOG.items()
    }


def test_a_new_warehouse_copied_from_the_template_has_the_catalog_the_ddl_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_ddl = duckdb.connect(str(tmp_path / "by_ddl.duckdb"))
    warehouse._run_ddl(by_ddl)
    schema_template()
    monkeypatch.setattr(warehouse, "_run_ddl", _not_the_ddl)
    copied = duckdb.connect(str(tmp_path / "copied.duckdb"))
    ensure_schema(copied)

    expected, got = catalog(by_ddl), catalog(copied)
    assert len(expected["columns"]) > 1000 and expected["macros"], "the DDL made a catalog"
    for kind in CATALOG:
        assert got[kind] == expected[kind], kind
    assert copied.execute("SELECT ddl_sha256 FROM ops.schema_state").fetchall() == [
        (warehouse._schema_digest(),)
    ]


def test_an_in_memory_warehouse_is_copied_from_the_template_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_ddl = _by_ddl()
    schema_template()
    monkeypatch.setattr(warehouse, "_run_ddl", _not_the_ddl)
    copied = duckdb.connect()
    ensure_schema(copied)
    assert catalog(copied) == catalog(by_ddl)


def test_a_warehouse_made_by_older_ddl_is_brought_up_to_date_by_the_ddl_itself(
    tmp_path: Path,
) -> None:
    """Not empty, so not copied over: its rows stay and the DDL adds what it lacks."""
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA ops")
        conn.execute("CREATE TABLE ops.schema_state (ddl_sha256 VARCHAR)")
        conn.execute("INSERT INTO ops.schema_state VALUES ('an older digest')")
        conn.execute("CREATE TABLE main.analyst_notes (note VARCHAR)")
        conn.execute("INSERT INTO main.analyst_notes VALUES ('kept')")
        ensure_schema(conn)
        assert conn.execute("SELECT note FROM main.analyst_notes").fetchall() == [("kept",)]
        assert catalog(conn)["macros"] == catalog(_by_ddl())["macros"]
        assert conn.execute("SELECT ddl_sha256 FROM ops.schema_state").fetchall() == [
            (warehouse._schema_digest(),)
        ]


def test_the_template_is_made_once_and_named_after_the_ddl_and_duckdb() -> None:
    first = schema_template()
    assert warehouse._schema_digest()[:16] in first.name
    assert duckdb.__version__ in first.name
    modified = first.stat().st_mtime_ns
    assert schema_template() == first
    assert first.stat().st_mtime_ns == modified
    assert not list(first.parent.glob(f"{first.stem}.*.partial"))


def _not_the_ddl(conn: duckdb.DuckDBPyConnection) -> None:
    raise AssertionError("a new database ran the DDL instead of copying the template")


def _by_ddl() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    warehouse._run_ddl(conn)
    return conn
