"""The payload_shape check's clean day (issue 20): the day's field set is read straight from its
segments by a cheap key (the keys at the contract's object paths, when those are the line's only
objects) and nothing is staged. The field set must be exactly what json_tree finds over every
line, whatever the string values hold (braces, brackets, quotes, colons); a day with a refused
(undecodable) segment or with an approved mapping that rewrites it is staged and shaped as before."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.mapping_copilot import field_mappings as fm
from hl_d365_assets_tests.test_payload_shape import FIRST6LAST4, line, ticket

DAY = date(2026, 11, 12)
PAYMENTS = ("heartland", "payment_transactions")


def write_segment(folder: Path, name: str, lines: list[str | bytes]) -> Path:
    path = folder / f"business_date={DAY}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\n".join(ln if isinstance(ln, bytes) else ln.encode() for ln in lines) + b"\n"
    )
    return path


def every_line_fields(conn: duckdb.DuckDBPyConnection, lines: list[str]) -> list[str]:
    """The truth: json_tree over every line that is a JSON object, no grouping at all."""
    return [
        field
        for (field,) in conn.execute(
            """
            SELECT DISTINCT regexp_replace(substr(t.fullkey, 3), '\\[[0-9]+\\]', '[*]', 'g') AS f
            FROM (SELECT unnest($lines::VARCHAR[]) AS line) AS l, json_tree(l.line) AS t
            WHERE json_valid(l.line) AND json_type(l.line) = 'OBJECT' AND t.fullkey <> '$'
            ORDER BY f
            """,
            {"lines": lines},
        ).fetchall()
    ]


def payment(n: int, **changes: object) -> str:
    """A clean GP-API line with ``changes`` (dotted paths under the line) set in its payload."""
    record = json.loads(line(n, FIRST6LAST4))
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = record["payload"]
        for name in parents:
            target = target[name]
        target[key] = value
    return json.dumps(record)


TRICKY = {
    "clean": line(1, FIRST6LAST4),
    "braces in a value": payment(2, reference='{"amount_minor": 1, "x": [1, {"y": 2}]}'),
    "quotes and colons in a value": payment(3, reference='a\\":{\\"evil\\":1}, "k": ['),
    "a key name with a brace": payment(4, **{"x{": 1}),
    "a key name with a dot": payment(5, **{"a.b": "1"}),
    "a field moved into a known object": payment(6, payment_method__amount="1"),
    "a new object": payment(7, totals={"amount": "1"}),
    "a known scalar as an object": payment(8, currency={"code": "USD"}),
    "a known scalar as an array": payment(9, amount=["1"]),
    "a known scalar as an empty array": payment(10, amount=[]),
    "a known object as a scalar": payment(11, payment_method__card="none"),
    "a known object empty": payment(12, payment_method__card={}),
    # One object fewer, one brace more: the counts still differ (a brace in a string is never a
    # container, and every container is counted), so it goes by json_structure.
    "a known object as a brace": payment(17, payment_method__card="{"),
    "a new field inside the known object that became a scalar's place": payment(
        18, payment_method__card="x", payment_method__card_v2={"brand": "VISA"}
    ),
    "an open field as an object": payment(13, account_name={"a": {"b": [1]}}),
    "a new top-level field": json.dumps({**json.loads(line(14, FIRST6LAST4)), "note": "{["}),
    "a duplicated key": line(15, FIRST6LAST4)[:-1] + ', "payload": {"zz": {"y": 1}}}',
    "unicode": payment(16, reference="Zoë — 東京 {"),
    "not an object": '[1, {"a": 2}]',
    # The object count comes from the key lists and a line is an object when it starts with '{'
    # (sql/raw/read_payload_fields_from_segments.sql): an empty object is no keyed object, and a
    # line led by a blank is asked json_type.
    "an empty new object": payment(19, totals={}),
    "an empty root": "{}",
    "an object led by blanks": " \t" + payment(21, note_v2="1"),
    "not an object, led by a blank": ' [{"a": 2}]',
    "not json": '{"event_id": "e", "payload": {',
    # A key DuckDB's JSON paths refuse ('$.payload.""'): its profile once failed the check.
    "an empty key": payment(22, **{"": "1"}),
    "an empty key in a new object": payment(23, extras={"": {"": [1]}}),
}


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_one_tricky_line_beside_clean_ones_has_the_fields_json_tree_finds(
    tmp_path: Path, case: str
) -> None:
    """Each case beside clean lines of its own, so no other line's group can carry its fields."""
    lines = [line(n, FIRST6LAST4) for n in range(20, 23)] + [TRICKY[case]]
    segment = write_segment(tmp_path, "seg.ndjson", lines)
    with duckdb.connect() as conn:
        found = fm.landed_fields(conn, fm.contract(*PAYMENTS), [segment])
        assert found == every_line_fields(conn, lines)


def test_the_field_set_of_a_day_of_every_case_and_the_drift_it_decides(tmp_path: Path) -> None:
    lines = list(TRICKY.values()) + [line(n, FIRST6LAST4) for n in range(30, 40)]
    segment = write_segment(tmp_path, "seg.ndjson", lines)
    base = fm.contract(*PAYMENTS)
    with duckdb.connect() as conn:
        found = fm.landed_fields(conn, base, [segment])
        assert found == every_line_fields(conn, lines)
        drift = fm.day_drift(conn, *PAYMENTS, [segment])
    new = {d.field for d in drift if d.change == "new"}
    assert new == {field for field in found if base.is_new(field)}
    assert new >= {
        'payload."x{"',
        "payload.payment_method.amount",
        "payload.totals",
        "payload.currency.code",
        "payload.amount[*]",
        "payload.zz",
        "note",
        # One new field each: the dot and the emptiness belong to the key (parent() and leaf()
        # split outside quoted keys; a dotted key was once taken for a field of 'payload."a').
        'payload."a.b"',
        'payload.""',
        "payload.extras",
    }
    beneath = {d.field: d.profile.json_type for d in drift if d.change != "absent"}
    assert beneath['payload.""'] == "VARCHAR" and beneath['payload."a.b"'] == "VARCHAR"
    assert beneath['payload.extras."".""[*]'] == "UBIGINT"


def test_array_contracts_read_the_same_field_set(tmp_path: Path) -> None:
    """Retail tickets: their lines hold arrays, so every line goes by json_structure."""
    lines = [ticket(n) for n in range(4)] + [ticket(5, "quantity"), ticket(6, serial="{[")]
    segment = write_segment(tmp_path, "seg.ndjson", lines)
    with duckdb.connect() as conn:
        found = fm.landed_fields(conn, fm.contract("heartland_retail", "tickets"), [segment])
        assert found == every_line_fields(conn, lines)


def staged_marker(conn: duckdb.DuckDBPyConnection) -> None:
    """A landed_lines table of our own: staging the day replaces it (and the check drops it)."""
    conn.execute("CREATE TEMP TABLE landed_lines AS SELECT 'marker' AS line").fetchall()


def staged(conn: duckdb.DuckDBPyConnection) -> bool:
    return not conn.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = 'landed_lines' AND temporary"
    ).fetchall()


def test_a_clean_day_is_not_staged_and_a_drifted_one_is(tmp_path: Path) -> None:
    clean = write_segment(
        tmp_path / "clean", "seg.ndjson", [line(n, FIRST6LAST4) for n in range(5)]
    )
    renamed = write_segment(
        tmp_path / "renamed",
        "seg.ndjson",
        [line(n, FIRST6LAST4) for n in range(5)]
        + [line(n, FIRST6LAST4, amount="amount_minor") for n in range(5, 8)],
    )
    with duckdb.connect() as conn:
        staged_marker(conn)
        assert fm.day_drift(conn, *PAYMENTS, [clean]) == []
        assert not staged(conn)
        drift = fm.day_drift(conn, *PAYMENTS, [renamed])
        assert staged(conn)
    assert {(d.field, d.change): d.lines for d in drift if d.change != "absent"} == {
        ("payload.amount_minor", "new"): 3,
        ("payload.amount", "vanished"): 3,
    }


def test_a_day_with_an_undecodable_segment_is_staged_and_shaped_as_the_load_reads_it(
    tmp_path: Path,
) -> None:
    """The reader refuses the segment (bad UTF-8): the loader's irregular path stages its good
    lines, so a new field among them is still named, with its lines counted, and a clean
    irregular day is still clean."""
    good = write_segment(tmp_path, "a.ndjson", [line(n, FIRST6LAST4) for n in range(4)])
    bad_clean = [line(4, FIRST6LAST4), b'{"event_id": "e\xff"}', line(5, FIRST6LAST4)]
    with duckdb.connect() as conn:
        irregular = write_segment(tmp_path, "b.ndjson", bad_clean)
        assert fm.landed_fields(conn, fm.contract(*PAYMENTS), [good, irregular]) is None
        staged_marker(conn)
        assert fm.day_drift(conn, *PAYMENTS, [good, irregular]) == []
        assert staged(conn)
        renamed = [line(n, FIRST6LAST4, amount="amount_minor") for n in range(6, 8)]
        drifted = write_segment(tmp_path, "c.ndjson", [*bad_clean, *renamed])
        drift = fm.day_drift(conn, *PAYMENTS, [good, drifted])
    assert {(d.field, d.change): d.lines for d in drift if d.change != "absent"} == {
        ("payload.amount_minor", "new"): 2,
        ("payload.amount", "vanished"): 2,
    }


@pytest.mark.parametrize("valid_from", [DAY - timedelta(days=3), DAY, DAY + timedelta(days=1)])
def test_a_day_with_approved_mappings_is_shaped_as_they_rewrite_it(
    tmp_path: Path, valid_from: date
) -> None:
    """From ``valid_from`` on the approved rename is applied to the staged copy, so the renamed
    field is no drift; before it, the day is read straight from its segments and the rename is
    named as on a day without mappings."""
    segment = write_segment(
        tmp_path,
        "seg.ndjson",
        [line(n, FIRST6LAST4) for n in range(5)]
        + [line(n, FIRST6LAST4, amount="amount_minor") for n in range(5, 9)],
    )
    rename = fm.FieldMapping(*PAYMENTS, "payload.amount_minor", "payload.amount", valid_from,
                             "finance.user")  # fmt: skip
    with duckdb.connect() as conn:
        staged_marker(conn)
        drift = fm.day_drift(conn, *PAYMENTS, [segment], mappings=[rename])
        assert staged(conn)
    found = {(d.field, d.change): d.lines for d in drift if d.change != "absent"}
    if valid_from <= DAY:
        assert found == {}
    else:
        assert found == {("payload.amount_minor", "new"): 4, ("payload.amount", "vanished"): 4}


def test_a_clean_day_an_approved_mapping_rewrites_is_shaped_as_rewritten(tmp_path: Path) -> None:
    """The check shapes the lines the load will parse: a mapping whose contract side the parser
    does not read turns a clean landed day into drift, which the segments alone do not show."""
    segment = write_segment(tmp_path, "seg.ndjson", [line(n, FIRST6LAST4) for n in range(4)])
    mapping = fm.FieldMapping(*PAYMENTS, "payload.reference", "payload.merchant_reference", DAY,
                              "finance.user")  # fmt: skip
    with duckdb.connect() as conn:
        assert fm.day_drift(conn, *PAYMENTS, [segment]) == []
        drift = fm.day_drift(conn, *PAYMENTS, [segment], mappings=[mapping])
    found = {(d.field, d.change): d.lines for d in drift}
    assert {k: n for k, n in found.items() if k[1] != "absent"} == {
        ("payload.merchant_reference", "new"): 4
    }
    # Every line lost "reference", so it is an absent rename candidate, not a vanished field.
    assert found[("payload.reference", "absent")] == 4
