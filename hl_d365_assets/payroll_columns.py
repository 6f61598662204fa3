"""Reading a dropped export file through its column mapping (issue 17, docs/payroll-intake.md).

A customer's Payroll Register or Custom Report Writer export names its columns its own way; the
mapping file (``mappings/payroll_register_columns.csv``, ``bank_statement_columns.csv``) says
which export header holds which of our columns, whether the file is unusable without it, and how
to read its values. So a new layout is configured, not coded.

``format`` of a mapped column:

- empty: the text as the export wrote it, trimmed;
- a ``strptime`` format such as ``%m/%d/%Y``: a date, landed ISO (``YYYY-MM-DD``); text that does
  not match is landed as written, and the raw layer quarantines the line ``invalid_date``;
- ``decimal``: an amount, landed as exact decimal text: ``$`` and thousands commas removed,
  ``(12.34)`` read as ``-12.34``; never a float. Text that is no number is landed as written and
  quarantined ``invalid_amount`` by the raw layer;
- ``last4``: only the last four digits are landed (a bank account number);
- ``fingerprint``: a keyed hash of the value's digits (a bank account number), landed as
  ``fp`` + the first 16 hex digits of its HMAC-SHA256 under the fingerprint key
  (:func:`hl_d365_assets.settings.fingerprint_key`): equal accounts give equal fingerprints, the
  number itself is never landed and cannot be recovered without the key. No ``_`` after ``fp``:
  glued to a letter, the hex can never read as a card, SSN or routing number candidate (16 hex
  digits that happen to be all decimal digits would otherwise be a card-number candidate for
  about one account in 1,800). A value without digits lands empty;
- ``drop``: never landed (the employee's name: journals are per department, analysts see
  employee numbers).

Columns of the export that the mapping does not name are *unmapped*: reported per file, and their
values kept under ``payload.unmapped`` so the scanner sees every field the export carried.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

DROP = "drop"
DECIMAL = "decimal"
LAST4 = "last4"
FINGERPRINT = "fingerprint"
FINGERPRINT_PREFIX = "fp"
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


class UnreadableFile(ValueError):
    """The bytes are not a UTF-8 CSV with a header row; the message never quotes the content."""


@dataclass(frozen=True)
class MappedColumn:
    column: str
    export_header: str
    required: bool
    format: str
    key: bytes | None = field(default=None, repr=False, compare=False)
    """The fingerprint key, on a ``fingerprint`` column only; never printed."""

    def read(self, text: str) -> str:
        """The value to land, as text: exact, never a float."""
        value = text.strip()
        if not value or not self.format:
            return value
        if self.format == DECIMAL:
            return _decimal_text(value)
        if self.format == LAST4:
            return re.sub(r"\D", "", value)[-4:]
        if self.format == FINGERPRINT:
            return fingerprint(value, self.key)
        if "%" in self.format:
            return _date_text(value, self.format)
        return value


@functools.lru_cache(maxsize=65_536)
def _date_text(value: str, date_format: str) -> str:
    """A date as ISO text, or the text as written when it does not parse (raw quarantines it).
    Cached: a register repeats a handful of dates on every row, and strptime is slow."""
    try:
        return datetime.strptime(value, date_format).date().isoformat()
    except ValueError:
        return value


@dataclass(frozen=True)
class ColumnMapping:
    """One mapping file: our column → the export's header, required flag, format."""

    columns: tuple[MappedColumn, ...]

    @classmethod
    def from_file(cls, path: Path, fingerprint_key: bytes | None = None) -> ColumnMapping:
        """Read a mapping file; ``fingerprint_key`` is required when a column uses the format
        ``fingerprint`` (without it such a column could only be landed in clear, or lost)."""
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        expected = {"column", "export_header", "required", "format"}
        if not rows or set(rows[0]) != expected:
            raise ValueError(f"{path.name}: expected the columns {sorted(expected)}")
        columns = tuple(
            MappedColumn(
                column=row["column"].strip(),
                export_header=row["export_header"].strip(),
                required=row["required"].strip().lower() in {"yes", "true", "1"},
                format=(row["format"] or "").strip(),
            )
            for row in rows
        )
        fingerprinted = [c.column for c in columns if c.format == FINGERPRINT]
        if fingerprinted and not fingerprint_key:
            raise ValueError(
                f"{path.name}: {', '.join(fingerprinted)} use the format fingerprint, which needs "
                "the fingerprint key (HL_D365_FINGERPRINT_KEY in production)"
            )
        return cls(
            tuple(
                replace(c, key=fingerprint_key) if c.format == FINGERPRINT else c for c in columns
            )
        )

    def by_header(self) -> dict[str, MappedColumn]:
        """Headers are matched trimmed and case-insensitively: exports differ in capitals."""
        return {_header_key(c.export_header): c for c in self.columns}


@dataclass(frozen=True)
class ReadFile:
    """A file split by the CSV reader, with what its header lacked or added. Its rows become
    landing lines set-based (:mod:`hl_d365_assets.payroll_landing`)."""

    header: list[str]
    record_fields: pa.ListArray
    """Every record after the header as the CSV reader split it, blank ones included: a list
    of texts per record, in Arrow (where the set-based landing reads them)."""
    columns: tuple[MappedColumn | None, ...]
    """The mapped column of each header position (None: the mapping does not name it)."""
    missing_columns: tuple[str, ...]
    """Our required columns whose export header is absent (named by our column name)."""
    unmapped_headers: tuple[str, ...]
    """Export headers the mapping does not name, in file order."""

    @property
    def records(self) -> list[list[str]]:
        """The records as Python lists (for a reader that goes row by row: the tests')."""
        return self.record_fields.to_pylist()


def read_export(data: bytes, mapping: ColumnMapping) -> ReadFile:
    """Split a dropped CSV (UTF-8, optional BOM, RFC-4180 quoting) and match its header to
    ``mapping``. Python's csv module does the split: its rules (a quote opens a quoted value only
    as a field's first character, blanks around quotes are kept, every line ending splits a
    record) are what an export is read by; DuckDB's own CSV reader departs from them (it trims
    blanks around a quoted value, ignores one delimiter too many at the end of a line, and drops a
    byte-order mark starting its first line), so it is not used to split."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("the file is not UTF-8 text") from None
    if "\x00" in text:
        raise UnreadableFile("the file holds NUL bytes: not a CSV export")
    lines = io.StringIO(text, newline="")
    try:
        header = next(csv.reader(lines, strict=True), None)
        if not header or not any(h.strip() for h in header):
            raise UnreadableFile("the file has no header row")
        record_fields = _record_fields(list(lines))
    except csv.Error as error:
        raise UnreadableFile(f"the CSV cannot be parsed ({error.__class__.__name__})") from None
    mapped = mapping.by_header()
    columns = tuple(mapped.get(_header_key(h)) for h in header)
    present = {c.column for c in columns if c is not None}
    missing = tuple(c.column for c in mapping.columns if c.required and c.column not in present)
    return ReadFile(
        header=header,
        record_fields=record_fields,
        columns=columns,
        missing_columns=missing,
        unmapped_headers=tuple(
            h.strip() for h, c in zip(header, columns, strict=True) if c is None and h.strip()
        ),
    )


def _record_fields(lines: list[str]) -> pa.ListArray:
    """The records after the header, exactly as ``list(csv.reader(lines, strict=True))`` gives
    them, split in Arrow instead of the csv module (a 20,000-employee register: 3.4 s of CPU in
    the csv module and the conversion of its lists to Arrow, 0.4 s here).

    ``lines`` are the file's physical lines as the csv module reads them (a file object opened
    with ``newline=""`` ends one at each ``\r\n``, ``\r`` or ``\n``, and keeps the ending). A
    line that starts a record, is not empty and holds no quote character is a whole record for
    the csv module: a quote is the only thing that lets a field run past a line end or changes
    what a comma means, and strict mode finds nothing to object to in such a line. So it is its
    text without its line end, split on commas. Every other line (one holding a quote, an empty
    one, one long enough to hold a field over ``csv.field_size_limit()``, which the csv module
    refuses) goes to the csv module, which reads on through the following lines until its
    record ends; the lines it takes are not records of their own."""
    physical = pa.array(lines, pa.string())
    text = pc.utf8_rtrim(physical, characters="\r\n")
    split = pc.split_pattern(text, ",")
    to_csv = pc.or_(
        pc.or_(pc.match_substring(physical, '"'), pc.equal(pc.utf8_length(text), 0)),
        pc.greater(pc.binary_length(physical), csv.field_size_limit()),
    )
    pieces: list[pa.Array] = []
    line = 0
    for start in pc.indices_nonzero(to_csv).to_pylist():
        if start < line:
            continue  # the csv module read it as part of the record before
        pieces.append(split.slice(line, start - line))
        following = _LinesFrom(lines, start)
        pieces.append(pa.array([next(csv.reader(following, strict=True))], split.type))
        line = following.position
    pieces.append(split.slice(line))
    return pa.concat_arrays(pieces)


class _LinesFrom:
    """The lines from ``position`` on, for a csv reader, which takes only those its record
    needs: ``position`` is then the first line it left."""

    def __init__(self, lines: list[str], position: int) -> None:
        self.lines = lines
        self.position = position

    def __iter__(self) -> _LinesFrom:
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1]


def fingerprint(value: str, key: bytes | None) -> str:
    """``fp`` + the first 16 hex digits of HMAC-SHA256(key, the value's digits); "" for a value
    without digits. Separators do not matter (``0001-2345`` and ``00012345`` are one account),
    leading zeros do."""
    if not key:
        raise ValueError("a fingerprint needs the fingerprint key")
    digits = re.sub(r"[^0-9]", "", value)
    if not digits:
        return ""
    digest = hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()
    return FINGERPRINT_PREFIX + digest[:16]


def _decimal_text(value: str) -> str:
    text = value.replace("$", "").replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = "-" + text[1:-1]
    if "," in text:
        if not _THOUSANDS.match(text):
            return value
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    return text


def _header_key(header: str) -> str:
    return " ".join(header.split()).lower()
