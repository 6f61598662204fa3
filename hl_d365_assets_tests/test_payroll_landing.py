"""The set-based landing of a dropped export (hl_d365_assets/payroll_landing.py) writes byte for
byte the lines the row-by-row landing wrote (payroll_reference.py): quoting, embedded line
breaks, blank rows, white space, control characters, a byte-order mark, repeated and unknown
headers, short and long rows, unreadable dates, missing columns, fingerprints."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.payroll_columns import ColumnMapping, UnreadableFile, read_export
from hl_d365_assets.payroll_inbox import BANK_STATEMENT, REGISTER, DropFolder
from hl_d365_assets.payroll_landing import (
    ExportLanding,
    encoded_lines,
    export_line_arrays,
    export_lines,
    land_export,
)
from hl_d365_assets.settings import PROJECT_ROOT, SANDBOX_FINGERPRINT_KEY
from hl_d365_assets.warehouse import run_script, sql_file
from hl_d365_assets_tests.payroll_files import REGISTER_HEADERS
from hl_d365_assets_tests.payroll_reference import reference_lines

SHA = "5" * 64
RECEIVED_AT = "2026-11-20T19:03:23.001Z"
RECEIVED_DAY = date(2026, 12, 3)
KEY = SANDBOX_FINGERPRINT_KEY.encode()
HEADERS = [*REGISTER_HEADERS, "Direct Deposit Account"]
ROW = [
    "HLPR0001", "WEEKLY", "20261118-20261120", "11/09/2026", "11/15/2026", "11/20/2026",
    "W1", "regular", "", "E10001", "Jamal Fischer", "STORES", "100", "CASHIER", "S001",
    "EARNING", "01", "Regular", "40.00", "1,234.56", "", "0001-2345-6789",
]  # fmt: skip


def mapping(drop: DropFolder = REGISTER) -> ColumnMapping:
    return ColumnMapping.from_file(PROJECT_ROOT / "mappings" / drop.mapping_file, KEY)


def both_ways(data: bytes, drop: DropFolder = REGISTER) -> tuple[dict, dict]:
    read = read_export(data, mapping(drop))
    problem = (
        f"payroll_missing_columns: {', '.join(read.missing_columns)} (required by "
        f"mappings/{drop.mapping_file}) missing from the file's header"
        if read.missing_columns
        else None
    )
    landing = ExportLanding(drop.event_prefix, drop.event_type, drop.date_column, problem)
    args = (SHA, 'run \u00e9"1".csv', RECEIVED_AT, RECEIVED_DAY)
    return export_lines(read, landing, *args), reference_lines(read, drop, *args)


def assert_same(data: bytes, drop: DropFolder = REGISTER) -> dict:
    set_based, row_by_row = both_ways(data, drop)
    assert set_based == row_by_row
    assert list(set_based) == list(row_by_row), "days in the order their first row appears"
    return set_based


def text(rows: list[list[str]], header: list[str] = HEADERS, ending: str = "\r\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def row(**changes: str) -> list[str]:
    values = dict(zip(HEADERS, ROW, strict=True)) | changes
    return [values[h] for h in HEADERS]


def test_a_plain_register_lands_the_same_lines() -> None:
    lines = assert_same(text([row(), row(**{"Item Code": "02", "Amount": "(12.50)"})]))
    [payload] = [json.loads(lines["2026-11-20"][1])["payload"]]
    assert payload["amount"] == "-12.50"
    assert payload["bank_account_fingerprint"].startswith("fp")


def test_quoting_line_breaks_and_escapes_land_the_same() -> None:
    rows = [
        row(Memo='said "hi", left'),
        row(Memo="two\nlines"),
        row(Memo="crlf\r\ninside"),
        row(Description="back\\slash", Memo='"'),
        row(Memo="tab\there \x1f unit \x0b vt \x01 soh \x7f del \u2028 ls \U0001f600"),
        row(**{"Employee Name": "\x1fSmith, Jo\u00eblle"}),
    ]
    assert_same(text(rows))
    assert_same(text(rows, ending="\n"))
    assert_same(text(rows, ending="\r"))


def test_blank_rows_and_white_space_land_the_same() -> None:
    header = ",".join(HEADERS)
    body = "\r\n".join(
        [
            header,
            ",".join(row(**{"File #": "\u00a0 E1 \u3000", "Amount": " 1.00\t"})),
            "",
            "   ",
            ",,,,",
            '"",""," "',
            "\x1c\x1d",
            ",".join(row(Department="\x1f100\x1e", Memo=" kept as written ")),
            ",".join(row(**{"Check Type": "\u2028regular\u2029"})),
            "",
        ]
    )
    lines = assert_same(body.encode())
    assert [json.loads(line)["payload"]["file"]["row"] for line in lines["2026-11-20"]] == [1, 2, 3]


def test_a_byte_order_mark_and_header_spelling_land_the_same() -> None:
    header = [h.upper().replace(" ", "  ") for h in HEADERS]
    assert_same(b"\xef\xbb\xbf" + text([row()], header=header))
    assert_same(b"\xef\xbb\xbf" + "\ufeff".encode() + text([row()]))


def test_repeated_unknown_and_control_character_headers_land_the_same() -> None:
    header = [*HEADERS, "Amount", "Memo", "Cost\x1fCenter", 'Say "x"', "field_24", " ", "memo"]
    rows = [
        [*row(), "2.00", "second memo", "cc", "q", "f24", "blank header", "lower"],
        [*row(), "3.00"],
        row()[:5],
        [*row(), "2.00", "m", "cc", "q", "f24", "b", "l", "extra 1", "extra 2"],
    ]
    assert_same(text(rows, header=header))


def test_short_long_and_undated_rows_land_the_same() -> None:
    rows = [
        row()[:3],
        [*row(), "beyond the header"],
        row(**{"Check Date": "31/31/2026"}),
        row(**{"Check Date": "11/21/2026"}),
        row(**{"Check Date": "11/21/2026"}),
        row(),
        row(),
    ]
    lines = assert_same(text(rows))
    assert list(lines) == ["2026-11-20", "2026-11-21"]
    assert_same(text([row(**{"Check Date": "soon"}), row()[:2]]))
    # Equally common dates: the undated row lands under the one seen first.
    tie = assert_same(
        text([row(**{"Check Date": "x"}), row(**{"Check Date": "11/21/2026"}), row()])
    )
    assert list(tie) == ["2026-11-21", "2026-11-20"] and len(tie["2026-11-21"]) == 2


def test_missing_required_columns_and_a_bank_statement_land_the_same() -> None:
    kept = [h for h in HEADERS if h not in ("Amount", "Check Date")]
    assert_same(text([[v for h, v in zip(HEADERS, row(), strict=True) if h in kept]], kept))
    statement = (
        b"Account Number,Booking Date,Value Date,Currency,Amount,Reference,Description\r\n"
        b'000123456789,11/19/2026,11/19/2026,USD,"-1,111.11",PAYROLL NET,ACH DEBIT\r\n'
        b"000123456789,11/20/2026,11/20/2026,USD,-246.90,PAYROLL TAX,\r\n"
    )
    assert list(assert_same(statement, BANK_STATEMENT)) == ["2026-11-19", "2026-11-20"]


def test_the_landed_segments_are_byte_for_byte_the_same(tmp_path: Path) -> None:
    """The set-based lines, written from Arrow (land_export), against the row-by-row lines
    written one string at a time (LandingWriter.append_lines)."""
    data = text([row(Memo=f"m{i}\x1f \u00e9\U0001f600") for i in range(50)])
    read = read_export(data, mapping())
    landing = ExportLanding(REGISTER.event_prefix, REGISTER.event_type, "check_date", None)
    args = (SHA, "run.csv", RECEIVED_AT, RECEIVED_DAY)
    set_zone, rows_zone = LandingZone(tmp_path / "set"), LandingZone(tmp_path / "rows")
    land_export(
        set_zone, "payroll-inbox", "heartland_payroll", "register",
        export_line_arrays(read, landing, *args),
    )  # fmt: skip
    with LandingWriter(rows_zone, "payroll-inbox") as writer:
        for day, lines in reference_lines(read, REGISTER, *args).items():
            writer.append_lines("heartland_payroll", "register", day, lines)
    [written] = set_zone.segments("heartland_payroll", "register", "2026-11-20")
    [expected] = rows_zone.segments("heartland_payroll", "register", "2026-11-20")
    assert written.read_bytes() == expected.read_bytes()


def test_encoded_lines_rotate_segments_where_text_lines_do(tmp_path: Path) -> None:
    lines = [
        json.dumps({"n": i, "pad": "\u00e9" * (i % 37)}, ensure_ascii=False) for i in range(400)
    ]
    text_zone, encoded_zone = LandingZone(tmp_path / "text"), LandingZone(tmp_path / "encoded")
    with LandingWriter(text_zone, "p", max_segment_bytes=1_000) as writer:
        writer.append_lines("s", "e", "2026-11-20", lines)
    with LandingWriter(encoded_zone, "p", max_segment_bytes=1_000) as writer:
        writer.append_encoded("s", "e", "2026-11-20", *encoded_lines(pa.array(lines)))
    written = [p.read_bytes() for p in encoded_zone.segments("s", "e", "2026-11-20")]
    expected = [p.read_bytes() for p in text_zone.segments("s", "e", "2026-11-20")]
    assert len(expected) > 10 and written == expected


NASTY = st.sampled_from(
    ["", " ", "a", "Z", "0", "9", ",", '"', "\n", "\r", "\r\n", "\t", "\x1f", "\x0b", "\x00x"[1:],
     "\u00a0", "\u3000", "\u00e9", "\\", "$", "(", ")", ".", "-", "/", "11/20/2026", "1,234.56",
     "\ufeff", "\U0001f600", "\x7f", "\u2028"]
)  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.sampled_from([*HEADERS, "Memo", "Extra", " "]), min_size=1, max_size=8),
    rows=st.lists(
        st.lists(st.lists(NASTY, max_size=4).map("".join), max_size=10), min_size=1, max_size=6
    ),
    ending=st.sampled_from(["\r\n", "\n", "\r"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_any_mix_of_rows_lands_the_same(headers, rows, ending, quoting) -> None:
    if not any(h.strip() for h in headers):
        headers = [*headers, "Amount"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=ending, quoting=quoting)
    writer.writerow(headers)
    writer.writerows(rows)
    assert_same(out.getvalue().encode())


def test_the_sql_strip_and_json_are_python_s_for_every_character() -> None:
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = [f"{c}a{c}" for c in characters[:0x3100]] + [c * 2 for c in characters[:0x3100]]
    texts += ["", "a b", '\x1f\\"\x0b', *characters[0x3100::997]]
    with duckdb.connect() as conn:
        for macros in ("json_text.sql", "python_strip.sql"):
            run_script(conn, sql_file(f"macros/{macros}"))
        conn.register("texts", pa.table({"t": pa.array(texts, pa.string())}))
        rows = conn.execute(
            "SELECT t, python_strip(t), python_blank(t), json_text(t) FROM texts"
        ).fetchall()
    for original, stripped, blank, as_json in rows:
        assert (stripped, blank) == (original.strip(), not original.strip()), repr(original)
        assert as_json == json.dumps(original, ensure_ascii=False), repr(original)


def test_a_large_register_keeps_its_row_order_across_days() -> None:
    """Thousands of rows over two days, blank rows among them, rows taking either rendering:
    DuckDB's parallel work must not reorder them."""
    rows = []
    for i in range(12_000):
        day = "11/20/2026" if i % 3 else "11/21/2026"
        rows.append(
            row(**{"Check Date": day, "File #": f"E{i}", "Memo": "\x1f" if i % 7 == 0 else ""})
        )
        if i % 1_000 == 0:
            rows.append([""])
    lines = assert_same(text(rows))
    assert {day: len(day_lines) for day, day_lines in lines.items()} == {
        "2026-11-21": 4_000,
        "2026-11-20": 8_000,
    }


def csv_module_records(data: bytes) -> list[list[str]] | str:
    """What the csv module makes of a file's records after its header, or the error it raises."""
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))[1:]
    except csv.Error as error:
        return error.__class__.__name__


def split_records(data: bytes) -> list[list[str]] | str:
    try:
        return read_export(data, mapping()).records
    except UnreadableFile:
        return "Error"


SPLIT_PIECES = st.sampled_from(
    ["a", " ", ",", '"', '""', "\n", "\r", "\r\n", "\r\r\n", "\n\r", '",', ',"', "x\"y", "\ufeff",
     "\u2028", "\x85", "\x0b", "\x1c", "\t", "1,234.56"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(SPLIT_PIECES, max_size=30).map("".join))
def test_the_export_is_split_as_the_csv_module_splits_it(body: str) -> None:
    """read_export splits quote-free lines itself (the csv module took 3.5 s of CPU on a
    20,000-employee register); records, blank lines, line ends, quoted line breaks and malformed
    quoting come out as the csv module gives them, or fail where it fails."""
    data = (",".join(HEADERS) + "\r\n" + body).encode()
    assert split_records(data) == csv_module_records(data), repr(body)


def test_a_field_over_the_csv_field_limit_is_refused_quoted_or_not() -> None:
    limit = csv.field_size_limit()
    for field in ("x" * (limit + 1), '"' + "x" * (limit + 1) + '"'):
        data = (",".join(HEADERS) + "\r\n" + field + ",a\r\n").encode()
        assert split_records(data) == csv_module_records(data) == "Error"
    near = (",".join(HEADERS) + "\n" + "y" * limit + ",a\n").encode()
    assert split_records(near) == csv_module_records(near) == [["y" * limit, "a"]]
