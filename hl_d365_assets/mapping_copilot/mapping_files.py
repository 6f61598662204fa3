"""Adding an approved row to a mapping file as a person would in an editor: one line appended at
the end, every other byte of the file left as it was, so ``git diff`` shows exactly one added
line and the file's history stays the version history of the mapping (mappings/README.md)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hl_d365_assets.mapping_copilot.kinds import normalised, read_rows


class MappingAlreadyThere(RuntimeError):
    """The file already maps the value from that day: approving again would add a second row."""


def append_row(path: Path, row: dict[str, str], key_columns: tuple[str, ...]) -> str:
    """Append ``row`` (its columns in the file's header order) and return the line written.

    Refuses a row whose key and ``valid_from`` the file already holds: a second approval, or one
    racing a person's edit, must not write the mapping twice."""
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    key = tuple(normalised(row[c]) for c in key_columns)
    for existing in read_rows(path.parent, path.name):
        if tuple(normalised(existing[c]) for c in key_columns) == key and existing.get(
            "valid_from", ""
        ) == row.get("valid_from", ""):
            raise MappingAlreadyThere(f"{path.name} already maps {' '.join(key)}")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([row.get(c, "") for c in header])
    line = buffer.getvalue()
    text = path.read_bytes()
    with path.open("ab") as handle:
        if text and not text.endswith(b"\n"):
            handle.write(b"\n")
        handle.write(line.encode("utf-8"))
    return line.rstrip("\n")
