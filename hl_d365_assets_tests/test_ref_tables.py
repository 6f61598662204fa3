"""The ref.* tables follow the mapping files: reloaded when a file changed, left alone when
nothing did (a step reloading 27 tables each time cost half a second, a dozen times a run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, transaction


def _mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


def _warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_schema(conn)
    return conn


def _store_names(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name for (name,) in conn.execute("SELECT store_name FROM ref.stores ORDER BY 1").fetchall()
    ]


def test_unchanged_files_are_not_read_again(tmp_path: Path) -> None:
    folder = _mappings(tmp_path)
    conn = _warehouse(tmp_path)
    load_mappings(conn, folder)
    loaded = _store_names(conn)
    # A change made to the table, not to the file, survives the next load: nothing was reloaded.
    conn.execute("UPDATE ref.stores SET store_name = 'edited in the table'")
    load_mappings(conn, folder)
    assert set(_store_names(conn)) == {"edited in the table"}
    assert loaded and loaded != _store_names(conn)


def test_a_changed_file_reloads_every_table(tmp_path: Path) -> None:
    folder = _mappings(tmp_path)
    conn = _warehouse(tmp_path)
    load_mappings(conn, folder)
    conn.execute("UPDATE ref.stores SET store_name = 'edited in the table'")
    stores = folder / "stores.csv"
    stores.write_text(stores.read_text())  # rewritten with the same bytes: no reload
    load_mappings(conn, folder)
    assert set(_store_names(conn)) == {"edited in the table"}
    # Another file changes by one byte: every table is reloaded from the files.
    (folder / "tax_codes.csv").write_text((folder / "tax_codes.csv").read_text() + "\n")
    load_mappings(conn, folder)
    assert "edited in the table" not in _store_names(conn)


def test_a_load_that_rolls_back_leaves_the_files_to_be_loaded_again(tmp_path: Path) -> None:
    folder = _mappings(tmp_path)
    conn = _warehouse(tmp_path)
    try:
        with transaction(conn):
            load_mappings(conn, folder)
            raise RuntimeError("the step failed after loading the mappings")
    except RuntimeError:
        pass
    assert conn.execute("SELECT count(*) FROM ops.ref_state").fetchall() == [(0,)]
    load_mappings(conn, folder)
    assert _store_names(conn)


def test_another_mappings_folder_is_loaded_even_with_the_same_files(tmp_path: Path) -> None:
    first = _mappings(tmp_path)
    second = tmp_path / "other"
    shutil.copytree(first, second)
    conn = _warehouse(tmp_path)
    load_mappings(conn, first)
    conn.execute("UPDATE ref.stores SET store_name = 'edited in the table'")
    load_mappings(conn, second)
    assert "edited in the table" not in _store_names(conn)
