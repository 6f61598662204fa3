"""The one writer of the finance-owned mapping files (``mappings/*.csv``): every code path that
changes one goes through here — the mapping co-pilot's approvals, store onboarding from YAML.

The files are edited by people in an editor and reviewed in git, so a program's edit must look
like a careful person's: a new row is one line added at the end; a replaced row is changed where
it stands; every other line — the header, its quoting, its line endings, a byte-order mark —
stays byte for byte as it was, and an edit that changes nothing writes nothing (git stays clean).

Two programs may edit at once (an approval in the UI's run, a store's onboarding asset in
another process), so every edit reads and writes under an exclusive lock on the folder, and a
file is replaced by writing a temporary file beside it and renaming it over the old one: a
reader, or a crash, never sees half a file. The lock is ``flock`` on the folder itself, not on a
file: a renamed-over file is a new inode, and a lock file would sit untracked in the folder.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

Row = dict[str, str]

_BOM = "\ufeff"


class MappingAlreadyThere(RuntimeError):
    """The file already holds the row: approving again would add a second one."""


class MappingFileRefused(ValueError):
    """The row cannot be written as the file stands (a column its header does not have)."""


def normalised(value: str) -> str:
    """A value as the ``ref.*`` loaders match it: trimmed, upper case, spaces as underscores."""
    return (value or "").strip().upper().replace(" ", "_")


@dataclass
class _Record:
    text: str
    """The record's exact text, its line ending included (several lines if a field has one)."""
    row: Row | None
    """The record read by the header; None for a blank line."""


@dataclass
class _Content:
    bom: str
    header_text: str
    header: list[str]
    newline: str
    records: list[_Record]

    def text(self) -> str:
        return self.bom + self.header_text + "".join(r.text for r in self.records)

    def line(self, row: Row) -> str:
        unknown = sorted(c for c, v in row.items() if c not in self.header and v)
        if unknown:
            raise MappingFileRefused(f"the file has no column {', '.join(unknown)}")
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=self.newline).writerow(
            [row.get(c) or "" for c in self.header]
        )
        return buffer.getvalue()

    def ensure_final_newline(self) -> None:
        """A file saved without a final line ending gets one before a line is added after it."""
        if self.records and not self.records[-1].text.endswith(("\n", "\r")):
            self.records[-1].text += self.newline
        elif not self.records and not self.header_text.endswith(("\n", "\r")):
            self.header_text += self.newline

    def terminate_inner_lines(self) -> None:
        """Every line but the file's last ends with a line ending (a row moved off the end)."""
        if self.records and not self.header_text.endswith(("\n", "\r")):
            self.header_text += self.newline
        for record in self.records[:-1]:
            if not record.text.endswith(("\n", "\r")):
                record.text += self.newline


class _TakenLines:
    """The lines ``csv.reader`` pulls, kept so each record's exact text is known."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = iter(lines)
        self.taken: list[str] = []

    def __iter__(self) -> _TakenLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.taken)
        self.taken.clear()
        return text


def _parse(text: str) -> _Content:
    bom = _BOM if text.startswith(_BOM) else ""
    # Split as csv wants it (at \r, \n, \r\n only), each line's ending kept.
    lines = _TakenLines(list(io.StringIO(text[len(bom) :], newline="")))
    reader = csv.reader(lines)
    header = next(reader, [])
    header_text = lines.take()
    newline = "\r\n" if header_text.endswith("\r\n") else "\n"
    records = []
    for fields in reader:
        record_text = lines.take()
        row = dict(zip(header, fields, strict=False)) if fields else None
        if row is not None:
            row.update((c, "") for c in header[len(fields) :])
        records.append(_Record(record_text, row))
    return _Content(bom, header_text, header, newline, records)


class MappingFile:
    """One mapping file as it stands, edited in memory; written back (if changed) when the
    :func:`editing` block that opened it ends without an error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._original = path.read_bytes().decode("utf-8")
        self._content = _parse(self._original)

    @property
    def header(self) -> list[str]:
        return list(self._content.header)

    @property
    def rows(self) -> list[Row]:
        return [dict(r.row) for r in self._content.records if r.row is not None]

    @property
    def changed(self) -> bool:
        return self._content.text() != self._original

    def append(self, row: Row, unique_by: tuple[str, ...] = ()) -> str:
        """Add ``row`` as one line at the end (its columns in the header's order) and return the
        line. With ``unique_by``, refuse a row another row already agrees with on those columns
        (compared as the loaders match them): a second approval must not map a value twice."""
        if unique_by:
            key = tuple(normalised(row.get(c, "")) for c in unique_by)
            for existing in self.rows:
                if tuple(normalised(existing.get(c, "")) for c in unique_by) == key:
                    raise MappingAlreadyThere(
                        f"{self.path.name} already has a row with "
                        + ", ".join(f"{c} {row.get(c) or '(blank)'}" for c in unique_by)
                    )
        line = self._content.line(row)
        self._content.ensure_final_newline()
        self._content.records.append(_Record(line, dict(row)))
        return line.rstrip("\r\n")

    def replace(self, selects: Callable[[Row], bool], rows: list[Row]) -> None:
        """Put ``rows`` in place of the rows ``selects`` picks: where the first of them stood, or
        at the end when none does. A row already written as it would be keeps its exact text."""
        records = self._content.records
        picked = [i for i, r in enumerate(records) if r.row is not None and selects(r.row)]
        old = [records[i] for i in picked]
        dropped = frozenset(picked)
        kept = [r for i, r in enumerate(records) if i not in dropped]
        position = picked[0] if picked else len(kept)
        header = self._content.header
        new = [
            # The same row where it stood keeps its exact text (a person's quoting, line ending).
            old[i] if i < len(old) and old[i].row == {c: row.get(c) or "" for c in header}
            else _Record(self._content.line(row), dict(row))
            for i, row in enumerate(rows)
        ]  # fmt: skip
        self._content.records = kept[:position] + new + kept[position:]
        self._content.terminate_inner_lines()

    def _write(self) -> None:
        """Replace the file by a complete new one: temporary file beside it, flushed to disk,
        renamed over it (atomic on one file system), the folder's entry flushed too."""
        directory = self.path.parent
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=directory
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(self._content.text().encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, stat.S_IMODE(self.path.stat().st_mode))
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        folder = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


class MappingFiles:
    """The mapping files of one folder, opened for editing under the folder's lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._open: dict[str, MappingFile] = {}

    def __getitem__(self, name: str) -> MappingFile:
        if name not in self._open:
            self._open[name] = MappingFile(self.directory / name)
        return self._open[name]

    def changed(self) -> list[str]:
        return [name for name, file in self._open.items() if file.changed]


@contextmanager
def editing(directory: Path) -> Iterator[MappingFiles]:
    """Open the folder's mapping files for one edit: read and written under its exclusive lock,
    each changed file replaced atomically when the block ends. An error inside the block writes
    nothing (a refusal found after the first change leaves every file as it was)."""
    folder = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        files = MappingFiles(Path(directory))
        yield files
        for name in files.changed():
            files[name]._write()
    finally:
        os.close(folder)  # releases the lock


def append_row(path: Path, row: Row, unique_by: tuple[str, ...]) -> str:
    """Append ``row`` to the mapping file at ``path`` as one line; return the line."""
    with editing(path.parent) as files:
        return files[path.name].append(row, unique_by)
