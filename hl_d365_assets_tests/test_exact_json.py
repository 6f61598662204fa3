"""exact_json: API numbers keep their digits both ways, and no float slips through."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from hl_d365_assets.http import exact_json


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("72.95", Decimal("72.95")),
        ("0.1", Decimal("0.1")),
        ("1234567890123456.78", Decimal("1234567890123456.78")),
        ("1e-2", Decimal("0.01")),
        ("-5.10", Decimal("-5.10")),
        ("12.0", Decimal("12.0")),
    ],
)
def test_numbers_with_a_fraction_or_exponent_are_exact_decimals(text: str, number: Decimal):
    value = exact_json.loads(f'{{"amount": {text}}}')["amount"]
    assert type(value) is Decimal
    assert value == number and str(value) == str(number)


def test_integers_stay_int():
    value = exact_json.loads(b'{"id": 40000123, "qty": -2}')
    assert value == {"id": 40000123, "qty": -2}
    assert all(type(number) is int for number in value.values())


def test_a_document_re_emitted_keeps_every_digit_compactly():
    text = (
        '{"total": 72.95, "lines": [{"value": 0.1, "qty": -2, "unit_price": -0.10},'
        ' [1234567890123456.78, [12.0, null, true]]], "note": "café \\"x\\"", "rate": 1e-2}'
    )
    assert exact_json.dumps(exact_json.loads(text)) == (
        '{"total":72.95,"lines":[{"value":0.1,"qty":-2,"unit_price":-0.10},'
        '[1234567890123456.78,[12.0,null,true]]],"note":"café \\"x\\"","rate":0.01}'
    )


def test_a_float_is_refused_wherever_it_hides():
    with pytest.raises(TypeError, match="float"):
        exact_json.dumps(72.95)
    with pytest.raises(TypeError, match="float"):
        exact_json.dumps({"lines": [{"value": 0.1}]})


def test_nan_and_infinity_are_not_json_numbers_either_way():
    with pytest.raises(ValueError):
        exact_json.loads('{"total": NaN}')
    with pytest.raises(ValueError):
        exact_json.loads("[Infinity]")
    with pytest.raises(ValueError):
        exact_json.dumps(Decimal("NaN"))


def test_dates_and_timestamps_are_written_as_iso_strings():
    moment = datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)
    assert exact_json.dumps({"after": moment, "day": date(2026, 11, 20)}) == (
        '{"after":"2026-11-20T14:03:11+00:00","day":"2026-11-20"}'
    )


def test_a_decimal_is_written_with_exactly_its_own_digits():
    assert exact_json.dumps([Decimal("72.950"), Decimal("-0"), Decimal("1E+2")]) == (
        "[72.950,-0,1E+2]"
    )
    assert exact_json.loads("[72.950,-0,1E+2]") == [Decimal("72.950"), 0, Decimal("100")]


def test_raw_decode_reads_one_value_where_it_starts_and_says_where_it_ends():
    text = '{"a": [1.50, 2]} , 1e-2'
    value, end = exact_json.raw_decode(text, 0)
    assert value == {"a": [Decimal("1.50"), 2]} and text[:end] == '{"a": [1.50, 2]}'
    number, end = exact_json.raw_decode(text, text.index("1e"))
    assert type(number) is Decimal and number == Decimal("0.01") and end == len(text)
    with pytest.raises(ValueError):
        exact_json.raw_decode(text, text.index("} ,") + 1)  # whitespace is not skipped
    with pytest.raises(ValueError):
        exact_json.raw_decode("[NaN]")
