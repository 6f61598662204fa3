"""A dropped export's rows become landing lines set-based, in DuckDB (issue 17: a pay run of
20,000 employees from its file to ready journals in under 10 s; the row-by-row reading and
``json.dumps`` per row took ~8 s of it).

The lines are byte for byte what one ``envelope()`` per row wrote before:

- the file is split as Python's csv module splits it
  (:func:`hl_d365_assets.payroll_columns.read_export`) into one Arrow list of texts per record,
  which a private in-memory DuckDB connection reads as columns ``c0``, ``c1``, ... (NULL past a
  short record's end);
- a column with a format (dates, decimals, last4, fingerprints) is read by its own
  :meth:`MappedColumn.read` once per *distinct* text, and the rows join that lookup: the mapping's
  Python stays the one definition of a format, and a register repeats its texts on every row;
- a row whose fields hold no control character and none of which starts or ends with white space
  (most of a register) is ``to_json`` of a struct, which writes such text as json.dumps does;
  any other row is a concatenation of parts: plain columns trimmed of exactly the characters
  ``str.strip()`` removes (sql/macros/python_strip.sql), JSON strings written by the ``json_text``
  macro (sql/macros/json_text.sql: json.dumps's bytes, control characters included);
- the envelope's fixed parts are cut from :func:`hl_d365_assets.landing.envelope` itself, so an
  envelope has one definition; the lines are written by the one :class:`LandingWriter`.

The statement (sql/landing/build_export_lines.sql) is completed per file from its header: which
position holds which key, which positions repeat a key (the last one's value wins, as in a dict),
which extra fields a long record carries (``field_<n>``). Keys and every other text are bound as
parameters, never spliced into the SQL.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hl_d365_assets.landing import LandingWriter, LandingZone, envelope
from hl_d365_assets.payroll_columns import DROP, MappedColumn, ReadFile
from hl_d365_assets.warehouse import run_script, sql_file

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CONTROL = re.compile(r"[\x00-\x1f]")
_ID, _PAYLOAD, _PROBLEM = "\x00id\x00", "\x00payload\x00", "\x00problem\x00"


@dataclass(frozen=True)
class ExportLanding:
    """Where and how one kind of export lands (a :class:`payroll_inbox.DropFolder`'s part)."""

    event_prefix: str
    event_type: str
    date_column: str
    problem: str | None
    """The file's own problem (required columns missing), carried by every line."""


def export_lines(
    read: ReadFile,
    landing: ExportLanding,
    sha256: str,
    name: str,
    received_at: str,
    received_day: date,
) -> dict[str, list[str]]:
    """The file's landing lines by the business day they land under, in file order (days in the
    order their first row appears)."""
    arrays = export_line_arrays(read, landing, sha256, name, received_at, received_day)
    return {day: lines.to_pylist() for day, lines in arrays.items()}


def export_line_arrays(
    read: ReadFile,
    landing: ExportLanding,
    sha256: str,
    name: str,
    received_at: str,
    received_day: date,
) -> dict[str, pa.StringArray]:
    """:func:`export_lines` as Arrow, which :func:`land_export` writes without a Python string
    per line."""
    if not len(read.record_fields):
        return {}
    plan = _Plan(read, landing.date_column)
    with duckdb.connect(":memory:") as conn:
        for macros in ("json_text.sql", "python_strip.sql"):
            run_script(conn, sql_file(f"macros/{macros}"))
        conn.register("export_records", plan.records_table(read.record_fields))
        for position, column in plan.lookups.items():
            conn.register(f"lookup_{position}", _lookup(conn, plan.field(position), column))
        head, between, problem_head = _envelope_parts(landing.event_type, received_at)
        params = {
            **plan.params,
            "head": head,
            "between": between,
            "problem_head": problem_head,
            # The id is "<prefix>_<16 hex>_<row>": plain ASCII, its JSON is itself in quotes.
            "event_id_prefix": json.dumps(f"{landing.event_prefix}_{sha256[:16]}_")[:-1],
            "file_name": json.dumps(name, ensure_ascii=False),
            "file_sha256": json.dumps(sha256),
            "file_name_text": name,
            "file_sha256_text": sha256,
            "file_problem": landing.problem,
            "header_fields": len(read.header),
            "received_day": received_day.isoformat(),
        }
        params["blank_records"] = [
            record
            for (record,) in conn.execute(
                sql_file("landing/find_blank_records.sql").replace("{all_fields}", plan.fields())
            ).fetchall()
        ]
        sql = plan.statement()
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        lines = conn.sql(sql, params=used).to_arrow_table()
    return _by_day(lines, received_day)


def _by_day(lines: pa.Table, received_day: date) -> dict[str, pa.StringArray]:
    """Each day's lines in file order; a row whose date cannot be read lands under the file's
    most common readable date (the first seen among equally common ones), else under the day of
    receipt."""
    rows = lines["file_row"]
    if len(rows) > 1 and not pc.all(pc.less(rows[:-1], rows[1:])).as_py():
        # A safeguard: DuckDB has returned the rows in the records' order in every run seen.
        lines = lines.sort_by("file_row")
    counts = pc.value_counts(lines["row_day"].drop_null())  # in order of first appearance
    if len(counts) == 1 and counts[0]["counts"].as_py() == len(lines):
        return {counts[0]["values"].as_py(): lines["line"].combine_chunks()}
    fallback = received_day.isoformat()
    if len(counts):
        most = pc.max(counts.field("counts")).as_py()
        fallback = next(c["values"] for c in counts.to_pylist() if c["counts"] == most)
    days = pc.fill_null(lines["row_day"], fallback)
    return {
        day: lines["line"].filter(pc.equal(days, day)).combine_chunks()
        for day in pc.unique(days).to_pylist()
    }


def land_export(
    zone: LandingZone, producer: str, source: str, entity: str, lines: dict[str, pa.StringArray]
) -> Counter[str]:
    """Write each day's lines through the landing writer, encoded by Arrow (each line and its
    newline are one stretch of the array's text buffer); the rows landed per day."""
    with LandingWriter(zone, producer) as writer:
        for day, day_lines in lines.items():
            writer.append_encoded(source, entity, day, *encoded_lines(day_lines))
    return Counter({day: len(day_lines) for day, day_lines in lines.items()})


def encoded_lines(
    lines: pa.StringArray,
) -> tuple[list[int], Callable[[int, int], memoryview]]:
    """:meth:`LandingWriter.append_encoded`'s arguments for Arrow lines: each line's length
    with its newline, and the UTF-8 of a run of lines, each followed by a newline (Arrow
    appends them to a slice: one chunk's copy at a time, not the day's)."""

    def encoded(first: int, end: int) -> memoryview:
        ended = pc.binary_join_element_wise(lines.slice(first, end - first), "\n", "")
        offsets = np.frombuffer(ended.buffers()[1], np.int32)
        start, stop = offsets[ended.offset], offsets[ended.offset + len(ended)]
        return memoryview(ended.buffers()[2])[start:stop]

    return pc.add(pc.binary_length(lines), 1).to_pylist(), encoded


def iso_date(text: str) -> str | None:
    """A landed date text as the day it lands under, or None when it is no ISO date."""
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


class _Plan:
    """Which position of the file's header feeds which key of the payload (header order, the
    last position of a repeated key holding its value, as a Python dict built row by row did).

    Two renderings of a payload, the same bytes: ``to_json`` of a struct, fast, for a row holding
    no control character in a file whose keys DuckDB can name (no key repeated in any case, no
    field beyond the header, no control character in a key); and a concatenation of
    ``json_text`` parts for every other row, which writes any text as json.dumps does."""

    def __init__(self, read: ReadFile, date_column: str) -> None:
        self.width = max(
            len(read.header), pc.max(pc.list_value_length(read.record_fields)).as_py() or 0
        )
        self.split = False
        self.params: dict[str, object] = {}
        self.lookups: dict[int, MappedColumn] = {}
        values: dict[str, tuple[int, MappedColumn]] = {}
        for position, column in enumerate(read.columns):
            if column is not None and column.format != DROP:
                values[column.column] = (position, column)
        unmapped: dict[str, list[int]] = {}
        for position, (header, column) in enumerate(zip(read.header, read.columns, strict=True)):
            if column is None and header.strip():
                unmapped.setdefault(header.strip(), []).append(position)
        for position in range(len(read.header), self.width):
            # Fields beyond the header have no name; kept for the scanner all the same.
            unmapped.setdefault(f"field_{position + 1}", []).append(position)

        members = {key: self._value(position, column) for key, (position, column) in values.items()}
        members["unmapped"] = self._object(list(unmapped.items()))
        members["file"] = (
            "'{\"name\":' || $file_name || ',\"sha256\":' || $file_sha256 "
            "|| ',\"row\":' || data_rows.file_row || '}'"
        )
        self.payload = "'{' || substr(" + self._members(members) + ", 2) || '}'"
        self.day = "NULL::VARCHAR"
        if date_column in values:
            position, column = values[date_column]
            self.lookups[position] = column
            self.day = f"lookup_{position}.day"
        self.struct = self._struct(values, unmapped, read)

    def records_table(self, fields: pa.ListArray) -> pa.Table:
        """The records as the reader split them; as columns too when every record has the
        same length (a list element per field in SQL costs more than Arrow's own split)."""
        lengths = pc.list_value_length(fields)
        columns = {}
        self.split = pc.min(lengths).as_py() == self.width == pc.max(lengths).as_py()
        if self.split:
            columns = {f"f{i}": pc.list_element(fields, i) for i in range(self.width)}
        return pa.table(
            {
                "record": pa.array(range(len(fields)), pa.int64()),
                "record_fields": fields,
                **columns,
            }
        )

    def field(self, position: int) -> str:
        """A field of export_records (NULL past the end of a short record)."""
        return f"f{position}" if self.split else f"record_fields[{position + 1}]"

    def fields(self) -> str:
        return ", ".join(self.field(i) for i in range(self.width))

    def statement(self) -> str:
        joins = "".join(
            f"\n    LEFT JOIN lookup_{p} ON lookup_{p}.text = data_rows.c{p}" for p in self.lookups
        )
        fields = ", ".join(f"c{i}" for i in range(self.width))
        return (
            sql_file("landing/build_export_lines.sql")
            .replace(
                "{columns}",
                ", ".join(f"{self.field(i)} AS c{i}" for i in range(self.width)),
            )
            .replace("{all_fields}", fields)
            .replace("{row_day}", self.day)
            .replace("{struct_payload}", self.struct or "NULL")
            .replace("{struct_ok}", "TRUE" if self.struct else "FALSE")
            .replace("{payload_members}", self.payload)
            .replace("{lookup_joins}", joins)
        )

    def _value(self, position: int, column: MappedColumn) -> str:
        """A mapped value: read, or "" past the end of a short record."""
        field = f"data_rows.c{position}"
        if column.format:
            self.lookups[position] = column
            read = f"json_text(lookup_{position}.value)"
        else:
            read = f"json_text(python_strip({field}))"
        return f"CASE WHEN {field} IS NULL THEN '\"\"' ELSE {read} END"

    def _object(self, keys: list[tuple[str, list[int]]]) -> str:
        """The unmapped fields as written (not trimmed); a key is present when the record reaches
        its first position, and holds the value of the last position the record reaches."""
        parts = []
        for key, positions in keys:
            name = self._key(key)
            latest = ", ".join(f"data_rows.c{p}" for p in reversed(positions))
            parts.append(
                f"CASE WHEN data_rows.c{positions[0]} IS NULL THEN '' "
                f"ELSE ',' || ${name} || json_text(coalesce({latest})) END"
            )
        return "'{' || substr(concat(" + (", ".join(parts) or "''") + "), 2) || '}'"

    def _members(self, members: dict[str, str]) -> str:
        return (
            "concat("
            + ", ".join(f"',' || ${self._key(k)} || {v}" for k, v in members.items())
            + ")"
        )

    def _key(self, key: str) -> str:
        """A parameter holding the key as JSON with its colon."""
        name = f"key_{len(self.params)}"
        self.params[name] = json.dumps(key, ensure_ascii=False) + ":"
        return name

    def _struct(
        self,
        values: dict[str, tuple[int, MappedColumn]],
        unmapped: dict[str, list[int]],
        read: ReadFile,
    ) -> str | None:
        """The payload as ``to_json(struct_pack(...))``, or None when DuckDB cannot name it."""
        if self.width != len(read.header) or any(len(p) > 1 for p in unmapped.values()):
            return None
        top = [*values, "unmapped", "file"]
        for keys in (top, list(unmapped)):
            if len({k.lower() for k in keys}) != len(keys) or any(CONTROL.search(k) for k in keys):
                return None

        def name(key: str) -> str:
            return '"' + key.replace('"', '""') + '"'

        # A plain mapped value is written as it stands: this rendering is chosen only for a row
        # none of whose fields starts or ends with white space or holds a control character
        # (build_export_lines.sql), where python_strip() would return each field unchanged, at
        # the price of a regular expression per field and row (~0.4 s of CPU on a
        # 20,000-employee register).
        mapped = [
            f"{name(key)} := "
            + (f"lookup_{position}.value" if column.format else f"data_rows.c{position}")
            for key, (position, column) in values.items()
        ]
        others = [f"{name(key)} := data_rows.c{p}" for key, (p,) in unmapped.items()]
        if not others:
            return None  # DuckDB has no empty struct
        return (
            "to_json(struct_pack("
            + ", ".join(
                [
                    *mapped,
                    '"unmapped" := struct_pack(' + ", ".join(others) + ")",
                    '"file" := struct_pack("name" := $file_name_text, '
                    '"sha256" := $file_sha256_text, "row" := data_rows.file_row)',
                ]
            )
            + "))::VARCHAR"
        )


def _lookup(conn: duckdb.DuckDBPyConnection, field: str, column: MappedColumn) -> pa.Table:
    """Each distinct text of one column, read by the mapping once: its JSON, and its day."""
    texts = [
        text
        for (text,) in conn.execute(
            f"SELECT DISTINCT {field} AS text FROM export_records WHERE text IS NOT NULL"
        ).fetchall()
    ]
    read = [column.read(text) for text in texts]
    return pa.table(
        {
            "text": pa.array(texts, pa.string()),
            "value": pa.array(read, pa.string()),
            "day": pa.array([iso_date(v) for v in read], pa.string()),
        }
    )


def _envelope_parts(event_type: str, received_at: str) -> tuple[str, str, str]:
    """The text before the event id, between it and the payload, and before a problem, cut from
    :func:`envelope` around placeholders."""
    template = envelope(
        _ID, event_type, received_at=received_at, receiver_problem=_PROBLEM, payload_text=_PAYLOAD
    )
    head, rest = template.split(json.dumps(_ID), 1)
    between, rest = rest.split(_PAYLOAD, 1)
    problem_head, end = rest.split(json.dumps(_PROBLEM), 1)
    if end != "}" or _ID in head + between:
        raise AssertionError("envelope() changed shape; the set-based landing must follow it")
    return head, between, problem_head
