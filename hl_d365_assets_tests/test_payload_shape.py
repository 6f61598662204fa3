"""The schema-drift pieces on a few hand-written GP-API lines, in DuckDB alone: known variants are
never drift, a rename is named with its vanished half, the one-to-one assignment pairs two renames
right, and an approved rename rewrites only the key (the amount's bytes stay as landed)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.mapping_copilot import field_mappings as fm
from hl_d365_assets.raw_loader import stage_landed_lines
from hl_d365_assets.warehouse import run_script, sql_file

DAY = date(2026, 11, 12)


def line(n: int, card: dict, **payload_renames: str) -> str:
    payload = {
        "id": f"TRN_{n}",
        "time_created": "2026-11-12T15:00:00Z",
        "status": "CAPTURED",
        "type": "SALE",
        "merchant_id": "MER_1",
        "amount": str(1000 + 37 * n),
        "currency": "USD",
        "reference": f"ref-{n:04d}",
        "payment_method": {"result": "00", "card": card},
    }
    for old, new in payload_renames.items():
        payload[new] = payload.pop(old)
    return json.dumps({"event_id": f"e{n}", "received_at": "2026-11-12T15:00:01Z",
                       "payload": payload})  # fmt: skip


FIRST6LAST4 = {"brand": "VISA", "masked_number_first6last4": "424242XXXXXX4242"}
LAST4_AND_BIN = {"brand": "MC", "masked_number_last4": "XXXXXXXXXXXX4444", "bin": "555555"}


def segment(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / f"business_date={DAY}" / "seg.ndjson"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_known_variants_are_not_drift(tmp_path: Path) -> None:
    lines = [line(n, FIRST6LAST4 if n % 2 else LAST4_AND_BIN) for n in range(10)]
    with duckdb.connect() as conn:
        assert (
            fm.day_drift(conn, "heartland", "payment_transactions", [segment(tmp_path, lines)])
            == []
        )


def test_two_renames_are_named_and_paired_one_to_one(tmp_path: Path) -> None:
    lines = [line(n, FIRST6LAST4) for n in range(10)] + [
        line(n, FIRST6LAST4, amount="amount_minor", reference="merchant_reference")
        for n in range(10, 20)
    ]
    with duckdb.connect() as conn:
        drift = fm.day_drift(conn, "heartland", "payment_transactions", [segment(tmp_path, lines)])
    found = {(d.field, d.change): d.lines for d in drift if d.change != "absent"}
    assert found == {
        ("payload.amount_minor", "new"): 10,
        ("payload.merchant_reference", "new"): 10,
        ("payload.amount", "vanished"): 10,
        ("payload.reference", "vanished"): 10,
    }
    new = [d for d in drift if d.change == "new"]
    ranked = fm.rank_renames(new, [d for d in drift if d.change != "new"])
    assert ranked["payload.amount_minor"][0].contract_field == "payload.amount"
    assert ranked["payload.merchant_reference"][0].contract_field == "payload.reference"


def test_an_approved_rename_rewrites_the_key_and_keeps_the_value_bytes(tmp_path: Path) -> None:
    landed = '{"event_id":"e1","payload":{"id":"T","amount_minor": 12.50,"note":"amount_minor"}}'
    with duckdb.connect() as conn:
        run_script(conn, sql_file("raw/stage_landed_lines.sql"))
        conn.execute(
            "INSERT INTO landed_lines VALUES ('s', $day, 1, $line, true), "
            "('s', $day, 2, 'not json', true)",
            {"day": DAY, "line": landed},
        ).fetchall()
        rename = fm.FieldMapping("heartland", "payment_transactions", "payload.amount_minor",
                                 "payload.amount", DAY, "finance.user")  # fmt: skip
        fm.apply(conn, [rename])
        rows = conn.execute("SELECT line FROM landed_lines ORDER BY line_number").fetchall()
    assert rows == [
        ('{"event_id":"e1","payload":{"id":"T","amount": 12.50,"note":"amount_minor"}}',),
        ("not json",),
    ]


def test_the_shape_counts_lines_per_field_and_type_and_array_fields_once_per_line(
    tmp_path: Path,
) -> None:
    lines = [
        json.dumps({"id": "a", "amount": "1.00", "items": [{"sku": "1"}, {"sku": "2"}]}),
        json.dumps({"id": "b", "amount": "2.00", "items": [{"sku": "3", "qty": 1}]}),
        json.dumps({"id": "c", "amount": 3, "items": []}),
        json.dumps({"id": "d", "amount": None}),
        "not json",
        "[1, 2]",
    ]
    with duckdb.connect() as conn:
        stage_landed_lines(conn, [segment(tmp_path, lines)])
        run_script(conn, sql_file("raw/stage_payload_shape.sql"))
        shape = set(conn.execute("SELECT field, json_type, lines FROM payload_shape").fetchall())
    assert shape == {
        ("id", "VARCHAR", 4),
        ("amount", "VARCHAR", 2),
        ("amount", "UBIGINT", 1),
        ("amount", "NULL", 1),
        ("items", "ARRAY", 3),
        ("items[*]", "OBJECT", 2),
        ("items[*].sku", "VARCHAR", 2),
        ("items[*].qty", "UBIGINT", 1),
    }


def ticket(n: int, quantity_key: str = "qty", **extra_line_fields: object) -> str:
    """A Heartland Retail ticket with two item lines, ``qty`` landed under ``quantity_key``."""
    lines = [
        {"id": n * 10 + k, "type": "ItemLine", "item_id": 20000 + k, "description": "Wall Clock",
         quantity_key: k, "unit_price": 4.49, "value": 4.49 * k, **extra_line_fields}
        for k in (1, 2)
    ]  # fmt: skip
    payload = {"id": n, "public_id": f"TKT-S001-{n:06d}", "status": "complete", "total": 13.47,
               "lines": lines}  # fmt: skip
    return json.dumps({"event_id": f"t{n}", "received_at": "2026-11-12T15:00:01Z",
                       "payload": payload})  # fmt: skip


def test_a_field_renamed_inside_array_elements_is_named_with_its_vanished_half(
    tmp_path: Path,
) -> None:
    """Retail ticket lines whose ``qty`` arrives as ``quantity`` from mid-day on: the new field
    and the vanished one inside the array elements, with the lines that carry the change."""
    lines = [ticket(n) for n in range(6)] + [ticket(n, "quantity") for n in range(6, 10)]
    with duckdb.connect() as conn:
        drift = fm.day_drift(conn, "heartland_retail", "tickets", [segment(tmp_path, lines)])
    found = {(d.field, d.change): d.lines for d in drift if d.change != "absent"}
    assert found == {
        ("payload.lines[*].quantity", "new"): 4,
        ("payload.lines[*].qty", "vanished"): 4,
    }
    new = [d for d in drift if d.change == "new"]
    [first, *_] = fm.rank_renames(new, [d for d in drift if d.change != "new"])[
        "payload.lines[*].quantity"
    ]
    assert first.contract_field == "payload.lines[*].qty"


def test_a_field_appearing_inside_array_elements_is_new_profiled_and_nothing_vanished(
    tmp_path: Path,
) -> None:
    """Its value profile is read from every element (the suggestions compare profiles)."""
    lines = [ticket(n) for n in range(6)] + [ticket(n, serial=f"S-{n}") for n in range(6, 10)]
    with duckdb.connect() as conn:
        drift = fm.day_drift(conn, "heartland_retail", "tickets", [segment(tmp_path, lines)])
    assert {(d.field, d.change): d.lines for d in drift if d.change != "absent"} == {
        ("payload.lines[*].serial", "new"): 4
    }
    [serial] = [d for d in drift if d.change == "new"]
    assert (serial.profile.json_type, serial.profile.mean_length) == ("VARCHAR", 3.0)
    assert serial.profile.distinct_ratio == 0.5  # 8 elements, 4 serials


def moved(text: str) -> str:
    """A GP-API line whose ``amount`` arrives one object down, in a new ``totals`` object."""
    record = json.loads(text)
    payload = record["payload"]
    record["payload"] = {k: v for k, v in payload.items() if k != "amount"} | {
        "totals": {"amount": payload["amount"]}
    }
    return json.dumps(record)


def test_a_field_moved_into_another_object_is_paired_with_the_place_it_left(
    tmp_path: Path,
) -> None:
    lines = [line(n, FIRST6LAST4) for n in range(6)] + [
        moved(line(n, FIRST6LAST4)) for n in range(6, 10)
    ]
    with duckdb.connect() as conn:
        drift = fm.day_drift(conn, "heartland", "payment_transactions", [segment(tmp_path, lines)])
    found = {(d.field, d.change): d.lines for d in drift if d.change != "absent"}
    assert found == {
        ("payload.totals", "new"): 4,
        ("payload.totals.amount", "new_beneath"): 4,
        ("payload.amount", "vanished"): 4,
    }
    candidates = [d for d in drift if d.change in ("new", "new_beneath")]
    [first, *_] = fm.rank_renames(candidates, [d for d in drift if d.change == "vanished"])[
        "payload.totals.amount"
    ]
    assert first.contract_field == "payload.amount"
    assert "moved to another object" in first.reason


def test_an_approved_move_carries_the_value_bytes_to_the_contract_place(tmp_path: Path) -> None:
    landed = [
        '{"event_id":"e1","payload":{"id":"T","totals":{"amount": 12.50},"currency":"USD"}}',
        '{"event_id":"e2","payload":{"id":"U","totals":{"tax":"1","amount":"12\\"50"}}}',
        '{"event_id":"e3","payload":{"amount":"4","totals":{"amount":"5"}}}',
        "not json",
    ]
    with duckdb.connect() as conn:
        run_script(conn, sql_file("raw/stage_landed_lines.sql"))
        for number, text in enumerate(landed, 1):
            conn.execute(
                "INSERT INTO landed_lines VALUES ('s', $day, $number, $line, true)",
                {"day": DAY, "number": number, "line": text},
            ).fetchall()
        move = fm.FieldMapping("heartland", "payment_transactions", "payload.totals.amount",
                               "payload.amount", DAY, "finance.user")  # fmt: skip
        fm.apply(conn, [move])
        rows = conn.execute("SELECT line FROM landed_lines ORDER BY line_number").fetchall()
    assert rows == [
        # The emptied object goes; 12.50 stays 12.50 (not 12.5), the escaped quote stays escaped.
        ('{"event_id":"e1","payload":{"amount":12.50,"id":"T","currency":"USD"}}',),
        ('{"event_id":"e2","payload":{"amount":"12\\"50","id":"U","totals":{"tax":"1"}}}',),
        # The contract place is taken: not rewritten, quarantined as landed.
        ('{"event_id":"e3","payload":{"amount":"4","totals":{"amount":"5"}}}',),
        ("not json",),
    ]


def test_an_approved_rename_inside_array_elements_rewrites_every_element_of_the_line(
    tmp_path: Path,
) -> None:
    """Both ticket lines' ``quantity`` becomes ``qty``; the day then has no drift left."""
    landed = segment(tmp_path, [ticket(n) for n in range(2)] + [ticket(2, "quantity")])
    rename = fm.FieldMapping("heartland_retail", "tickets", "payload.lines[*].quantity",
                             "payload.lines[*].qty", DAY, "finance.user")  # fmt: skip
    with duckdb.connect() as conn:
        stage_landed_lines(conn, [landed])
        fm.apply(conn, [rename])
        [(renamed,)] = conn.execute(
            "SELECT line FROM landed_lines WHERE line_number = 3"
        ).fetchall()
        drift = fm.day_drift(conn, "heartland_retail", "tickets", [landed], mappings=[rename])
    assert drift == []
    assert renamed == ticket(2)
