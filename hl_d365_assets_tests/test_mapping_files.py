"""The one writer of the mapping files edits them as a careful person would: a new row is one
line at the end, a replaced row changes where it stands, every other byte (header, quoting,
line endings) stays, an edit that changes nothing writes nothing; a file is replaced whole by a
rename, never left half-written; and two processes editing the same folder lose no row.

Real files in a temporary folder, real processes for the concurrent writers.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from hl_d365_assets import mapping_files
from hl_d365_assets.mapping_files import (
    MappingAlreadyThere,
    MappingFileRefused,
    append_row,
    editing,
)

HEADER = b"source_field,source_value,payment_method_code,description,valid_from,store_id"


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_an_appended_row_is_one_line_added_every_other_byte_kept(tmp_path: Path) -> None:
    before = (
        HEADER + b"\r\n"
        b'card_brand,VISA,VISA,"Visa, credit and debit",2020-01-01,\r\n'
        b"tender_type,CASH,CASH,Cash,2020-01-01,"  # saved without a final line ending
    )
    path = write(tmp_path / "payment_methods.csv", before)
    line = append_row(
        path,
        {"source_field": "card_brand", "source_value": "JCB", "payment_method_code": "DISC",
         "description": "JCB, settled as Discover", "valid_from": "2026-11-01", "store_id": "S007"},
        unique_by=("source_field", "source_value", "store_id", "valid_from"),
    )  # fmt: skip
    assert line == 'card_brand,JCB,DISC,"JCB, settled as Discover",2026-11-01,S007'
    # The file's own line ending (CRLF) for the new line, and for the last line that had none.
    assert path.read_bytes() == before + b"\r\n" + line.encode() + b"\r\n"


def test_a_row_the_file_holds_already_is_refused_and_nothing_written(tmp_path: Path) -> None:
    before = HEADER + b"\ncard_brand,VISA,VISA,Visa,2020-01-01,\n"
    path = write(tmp_path / "payment_methods.csv", before)
    row = {"source_field": "card_brand", "source_value": "visa", "payment_method_code": "V2",
           "valid_from": "2020-01-01"}  # fmt: skip
    unique_by = ("source_field", "source_value", "store_id", "valid_from")
    with pytest.raises(MappingAlreadyThere):
        append_row(path, row, unique_by)
    assert path.read_bytes() == before
    # The same value for one store is another row, not the same one.
    append_row(path, {**row, "store_id": "S007"}, unique_by)
    assert path.read_bytes() == before + b"card_brand,visa,V2,,2020-01-01,S007\n"


def test_a_column_the_file_lacks_is_refused_not_dropped(tmp_path: Path) -> None:
    before = b"source_field,source_value,payment_method_code,description,valid_from\n"
    path = write(tmp_path / "payment_methods.csv", before)
    with pytest.raises(MappingFileRefused, match="store_id"):
        append_row(path, {"source_value": "VISA", "store_id": "S007"}, ())
    assert path.read_bytes() == before


def test_replacing_rows_changes_them_where_they_stand_and_an_unchanged_edit_writes_nothing(
    tmp_path: Path,
) -> None:
    before = (
        b"store_id,store_name,valid_from\n"
        b"S001,Manhattan,2020-01-01\n"
        b'S007,"Phoenix, old name",2026-01-01\n'
        b"S002,Chicago,2020-01-01\n"
    )
    path = write(tmp_path / "stores.csv", before)
    with editing(tmp_path) as files:
        files["stores.csv"].replace(
            lambda row: row["store_id"] == "S007",
            [{"store_id": "S007", "store_name": "Phoenix Camelback", "valid_from": "2026-01-01"}],
        )
        assert files.changed() == ["stores.csv"]
    assert path.read_bytes() == before.replace(
        b'S007,"Phoenix, old name"', b"S007,Phoenix Camelback"
    )
    written = path.stat().st_mtime_ns
    with editing(tmp_path) as files:
        files["stores.csv"].replace(
            lambda row: row["store_id"] == "S001",
            [{"store_id": "S001", "store_name": "Manhattan", "valid_from": "2020-01-01"}],
        )
        assert files.changed() == []
    assert path.stat().st_mtime_ns == written
    with editing(tmp_path) as files:
        files["stores.csv"].replace(lambda row: row["store_id"] == "S009", [])
        files["stores.csv"].replace(
            lambda row: row["store_id"] == "S009",
            [{"store_id": "S009", "store_name": "Tucson", "valid_from": "2026-12-01"}],
        )
    assert path.read_bytes().endswith(b"S002,Chicago,2020-01-01\nS009,Tucson,2026-12-01\n")


def test_an_edit_that_fails_midway_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", b"k,v\nx,1\n")
    second = write(tmp_path / "b.csv", b"k,v\ny,2\n")
    with pytest.raises(MappingFileRefused), editing(tmp_path) as files:
        files["a.csv"].append({"k": "z", "v": "3"})
        files["b.csv"].append({"k": "w", "nope": "4"})
    assert first.read_bytes() == b"k,v\nx,1\n" and second.read_bytes() == b"k,v\ny,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_a_crash_while_writing_leaves_the_old_file_whole_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "a.csv", b"k,v\nx,1\n")
    os.chmod(path, 0o644)

    def crash(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(mapping_files.os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        append_row(path, {"k": "y", "v": "2"}, ())
    assert path.read_bytes() == b"k,v\nx,1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
    monkeypatch.undo()
    append_row(path, {"k": "y", "v": "2"}, ())
    assert path.read_bytes() == b"k,v\nx,1\ny,2\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def _append_many(directory: str, writer: str, count: int) -> None:
    for i in range(count):
        append_row(Path(directory) / "a.csv", {"k": f"{writer}{i}", "v": str(i)}, ("k",))


def test_two_processes_appending_at_once_lose_no_row(tmp_path: Path) -> None:
    """The approval and the onboarding asset run in different processes: each read-modify-
    rename happens under the folder's lock, so neither renames over a file missing the other's
    row."""
    write(tmp_path / "a.csv", b"k,v\n")
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_append_many, args=(str(tmp_path), name, 150))
        for name in ("approval", "onboarding")
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    lines = (tmp_path / "a.csv").read_text().splitlines()
    assert len(lines) == 1 + 300
    assert {line.split(",")[0] for line in lines[1:]} == {
        f"{name}{i}" for name in ("approval", "onboarding") for i in range(150)
    }
