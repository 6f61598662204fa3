"""Exact money: the SQL helpers never pass through a float and round as documented."""

from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hl_d365_assets.warehouse import SQL_DIR, run_script


@pytest.fixture(scope="module")
def conn():
    connection = duckdb.connect()
    run_script(connection, (SQL_DIR / "macros" / "money.sql").read_text())
    yield connection
    connection.close()


@given(minor=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_minor_units_become_the_exact_decimal_amount(conn, minor: int) -> None:
    [(cents, whole, tenths)] = conn.execute(
        "SELECT minor_to_amount($m, 2), minor_to_amount($m, 0), minor_to_amount($m, 1)",
        {"m": minor},
    ).fetchall()
    assert cents == Decimal(minor).scaleb(-2)
    assert whole == Decimal(minor)
    assert tenths == Decimal(minor).scaleb(-1)


def test_amounts_are_decimals_never_doubles(conn) -> None:
    [(amount_type, base_type)] = conn.execute(
        "SELECT typeof(minor_to_amount(1234, 2)), typeof(to_base_amount(12.34::DECIMAL(18,2), 0.71500000))"
    ).fetchall()
    assert (amount_type, base_type) == ("DECIMAL(18,2)", "DECIMAL(18,2)")


def test_an_unsupported_exponent_gives_no_amount_rather_than_a_wrong_one(conn) -> None:
    assert conn.execute("SELECT minor_to_amount(1234, 3)").fetchall() == [(None,)]


@given(
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    rate=st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("999"), places=8),
)
def test_base_conversion_rounds_half_away_from_zero_to_the_cent(
    conn, cents: int, rate: Decimal
) -> None:
    amount = Decimal(cents).scaleb(-2)
    [(base,)] = conn.execute(
        "SELECT to_base_amount($a::DECIMAL(18,2), $r::DECIMAL(18,8))",
        {"a": str(amount), "r": str(rate)},
    ).fetchall()
    exact = amount * rate
    expected = exact.copy_abs().quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).copy_sign(exact)
    assert base == expected
