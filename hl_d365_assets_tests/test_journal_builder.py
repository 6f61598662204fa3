"""The journal builder on any mix of tickets, returns, tenders, tips, batches, currencies and
rates: every journal balances to the cent in transaction and base currency, each kind of posting
totals exactly what went in, and every line is the sum of its listed sources."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hl_d365_assets.ledger.journals import build_journals
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, run_script, sql_file

# One hypothesis test of half a minute: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 20)
CENT = Decimal("0.01")
# store → (currency, department, D365 sales tax code)
STORES = {
    "S001": ("USD", "RETAIL", "NY_SALES"),
    "S003": ("USD", "OUTLET", "CO_SALES"),
    "S004": ("CAD", "RETAIL", "ON_HST"),
    "S005": ("CAD", "OUTLET", "BC_GSTPST"),
}
CARD_BRANDS = {"VISA": "VISA", "MASTERCARD": "MC", "AMEX": "AMEX", "DISCOVER": "DISC"}
OTHER_TENDERS = {"CASH": "CASH", "GIFT_CARD": "GIFT", "STORE_CREDIT": "STCRED"}

money = st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False)
small_money = st.decimals(min_value=0, max_value=60, places=2, allow_nan=False)


@dataclass
class Ticket:
    ticket_id: str
    store_id: str
    is_return: bool
    lines: list[tuple[Decimal, Decimal, Decimal]]  # net sales, tax, cost (positive)
    tenders: list[tuple[str, str | None, Decimal, Decimal]]  # type, brand, amount, tip
    sign: int = field(init=False)

    def __post_init__(self) -> None:
        self.sign = -1 if self.is_return else 1


@st.composite
def tickets(draw: st.DrawFn, number: int) -> Ticket:
    store_id = draw(st.sampled_from(sorted(STORES)))
    lines = draw(st.lists(st.tuples(money, small_money, money), min_size=1, max_size=4))
    total = sum(net + tax for net, tax, _ in lines)
    kinds = draw(
        st.lists(
            st.sampled_from([*CARD_BRANDS, *OTHER_TENDERS]), min_size=1, max_size=3, unique=True
        )
    )
    # Split the total over the tenders, then let the last one be a few cents over or short.
    cuts = sorted(
        draw(
            st.lists(
                st.decimals(0, total, places=2), min_size=len(kinds) - 1, max_size=len(kinds) - 1
            )
        )
    )
    parts = [b - a for a, b in zip([Decimal(0), *cuts], [*cuts, total], strict=True)]
    parts[-1] += draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.05"), Decimal("-0.03")]))
    tenders = []
    for kind, part in zip(kinds, parts, strict=True):
        if kind in CARD_BRANDS:
            tenders.append(("CARD", kind, part, draw(small_money)))
        else:
            tenders.append((kind, None, part, Decimal(0)))
    return Ticket(f"TKT_{number:05d}", store_id, draw(st.booleans()), lines, tenders)


@st.composite
def batches(draw: st.DrawFn, store_id: str) -> list[tuple[str, Decimal, Decimal]]:
    brands = draw(
        st.lists(st.sampled_from(sorted(CARD_BRANDS)), min_size=1, max_size=4, unique=True)
    )
    return [(brand, draw(money), draw(small_money)) for brand in brands]


@st.composite
def days(draw: st.DrawFn) -> dict:
    count = draw(st.integers(min_value=1, max_value=12))
    drawn = [draw(tickets(n)) for n in range(count)]
    settled = {
        store_id: draw(batches(store_id))
        for store_id in draw(st.sets(st.sampled_from(sorted(STORES)), max_size=4))
    }
    adjustments = {
        store_id: draw(st.sampled_from([Decimal(0), Decimal("-1.25")])) for store_id in settled
    }
    rate = draw(st.decimals(min_value=Decimal("0.5"), max_value=Decimal("1.5"), places=8))
    return {"tickets": drawn, "batches": settled, "adjustments": adjustments, "rate": rate}


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    mappings = tmp_path_factory.mktemp("mappings")
    for path in (PROJECT_ROOT / "mappings").glob("*.csv"):
        shutil.copy(path, mappings / path.name)
    conn = duckdb.connect()
    ensure_schema(conn)
    load_mappings(conn, mappings)
    yield conn, mappings
    conn.close()


def load(conn: duckdb.DuckDBPyConnection, mappings: Path, day: dict) -> None:
    (mappings / "fx_rates.csv").write_text(
        f"rate_date,from_currency,to_currency,rate\n2026-01-01,CAD,USD,{day['rate']}\n"
    )
    # Only the rate differs between examples: the other ref tables stay as the fixture loaded
    # them (reloading all 27 each example was most of this test's time).
    run_script(conn, sql_file("ref/load_fx_rates.sql"), {"dir": str(mappings)})
    for table in (
        "pos_sales",
        "pos_sale_lines",
        "pos_tenders",
        "settlement_batches",
        "settlement_fees",
    ):
        conn.execute(f"DELETE FROM canonical.{table}").fetchall()
    sales, lines, tenders = [], [], []
    for t in day["tickets"]:
        currency, _, tax_code = STORES[t.store_id]
        kind = "RETURN" if t.is_return else "SALE"
        sales.append(
            (
                DAY,
                t.ticket_id,
                t.store_id,
                "usrt",
                kind,
                "CLOSED",
                True,
                currency,
                len(t.lines),
                len(t.tenders),
            )
        )
        for n, (net, tax, cost) in enumerate(t.lines, start=1):
            lines.append(
                (
                    DAY,
                    t.ticket_id,
                    n,
                    t.store_id,
                    kind,
                    True,
                    -1 if t.is_return else 1,
                    currency,
                    tax_code,
                    t.sign * tax,
                    t.sign * (net + tax),
                    t.sign * cost,
                )
            )
        for n, (tender_type, brand, amount, tip) in enumerate(t.tenders, start=1):
            method = CARD_BRANDS[brand] if brand else OTHER_TENDERS[tender_type]
            trn = f"TRN_{t.ticket_id}_{n}" if brand else None
            tenders.append(
                (
                    DAY,
                    t.ticket_id,
                    f"{t.ticket_id}-T{n}",
                    t.store_id,
                    kind,
                    True,
                    tender_type,
                    method,
                    brand,
                    trn,
                    currency,
                    t.sign * amount,
                    t.sign * tip,
                )
            )
    conn.executemany(
        "INSERT INTO canonical.pos_sales (business_date, ticket_id, store_id, legal_entity, ticket_type, "
        "ticket_status, is_financial, currency, line_count, tender_count, closed_at, received_at, is_late, "
        "source_event_id, source_segment_path, source_line_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "TIMESTAMPTZ '2026-11-20 15:00:00+00', TIMESTAMPTZ '2026-11-20 15:00:01+00', false, 'EVT', 'seg', 1)",
        sales,
    )
    if lines:
        conn.executemany(
            "INSERT INTO canonical.pos_sale_lines (business_date, ticket_id, line_number, store_id, ticket_type, "
            "is_financial, quantity, currency, d365_sales_tax_code, tax_amount, line_total, cost_total) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            lines,
        )
    conn.executemany(
        "INSERT INTO canonical.pos_tenders (business_date, ticket_id, tender_id, store_id, ticket_type, "
        "is_financial, tender_type, payment_method_code, card_brand, gateway_transaction_id, currency, "
        "amount, tip_amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tenders,
    )
    for store_id, brands in day["batches"].items():
        currency = STORES[store_id][0]
        net = sum(n for _, n, _ in brands)
        fees = sum(f for _, _, f in brands)
        deposit = net - fees + day["adjustments"][store_id]
        conn.execute(
            "INSERT INTO canonical.settlement_batches (business_date, batch_id, store_id, legal_entity, "
            "merchant_id, batch_status, currency, transaction_count, sales_count, refunds_count, net_amount, "
            "fees_amount, deposit_amount, source_event_id, source_segment_path, source_line_number) "
            "VALUES (?, ?, ?, 'usrt', 'MER', 'CLOSED', ?, 0, 0, 0, ?, ?, ?, 'EVT', 'seg', 1)",
            [DAY, f"BAT_{store_id}", store_id, currency, net, fees, deposit],
        ).fetchall()
        conn.executemany(
            "INSERT INTO canonical.settlement_fees (business_date, batch_id, store_id, card_brand, "
            "payment_method_code, currency, net_amount, fees_amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (DAY, f"BAT_{store_id}", store_id, b, CARD_BRANDS[b], currency, n, f)
                for b, n, f in brands
            ],
        )


def expected_totals(day: dict) -> dict[tuple[str, str], Decimal]:
    """What each kind of posting must total per currency, straight from the inputs."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for t in day["tickets"]:
        currency = STORES[t.store_id][0]
        for net, tax, cost in t.lines:
            totals[currency, "returns" if t.is_return else "revenue"] -= t.sign * net
            totals[currency, "sales_tax"] -= t.sign * tax
            totals[currency, "cogs"] += t.sign * cost
            totals[currency, "inventory"] -= t.sign * cost
        for _, _, amount, tip in t.tenders:
            totals[currency, "tender"] += t.sign * amount
            totals[currency, "tip"] += t.sign * tip
            totals[currency, "tips_payable"] -= t.sign * tip
        totals[currency, "cash_over_short"] += t.sign * (
            sum(net + tax for net, tax, _ in t.lines) - sum(a for _, _, a, _ in t.tenders)
        )
    for store_id, brands in day["batches"].items():
        currency = STORES[store_id][0]
        net, fees = sum(n for _, n, _ in brands), sum(f for _, _, f in brands)
        totals[currency, "settlement"] -= net
        totals[currency, "merchant_fees"] += fees
        totals[currency, "deposit"] += net - fees + day["adjustments"][store_id]
        totals[currency, "settlement_difference"] -= day["adjustments"][store_id]
    return {key: value for key, value in totals.items() if value != 0}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=days())
def test_any_day_gives_balanced_journals_whose_totals_equal_the_inputs(warehouse, day) -> None:
    conn, mappings = warehouse
    load(conn, mappings, day)

    build_journals(conn, DAY, DAY)

    journals = conn.execute(
        "SELECT journal_key, currency, sum(amount), sum(base_amount), count(*) FILTER (WHERE line_type = 'posting'), "
        "coalesce(sum(base_amount) FILTER (WHERE line_type = 'rounding'), 0) FROM gl.journal_lines GROUP BY ALL"
    ).fetchall()
    for key, currency, total, base_total, lines, rounding in journals:
        assert total == 0 and base_total == 0, f"{key} does not balance: {total} / {base_total}"
        assert abs(rounding) <= CENT / 2 * lines, f"{key}: rounding {rounding} over {lines} lines"
        if currency == "USD":
            assert rounding == 0

    by_kind = dict(
        ((currency, kind), amount)
        for currency, kind, amount in conn.execute(
            "SELECT l.currency, s.posting_kind, sum(s.amount) FROM gl.journal_line_sources AS s "
            "JOIN gl.journal_lines AS l USING (line_key) GROUP BY ALL HAVING sum(s.amount) <> 0"
        ).fetchall()
    )
    assert by_kind == expected_totals(day)

    unexplained = conn.execute(
        "SELECT l.line_key, l.amount, sum(s.amount) FROM gl.journal_lines AS l "
        "LEFT JOIN gl.journal_line_sources AS s USING (line_key) WHERE l.line_type = 'posting' "
        "GROUP BY ALL HAVING l.amount IS DISTINCT FROM sum(s.amount)"
    ).fetchall()
    assert unexplained == []

    wrong_base = conn.execute(
        "SELECT line_key, amount, fx_rate, base_amount FROM gl.journal_lines WHERE line_type = 'posting'"
    ).fetchall()
    for line_key, amount, rate, base in wrong_base:
        assert (
            base == (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            if amount >= 0
            else base == -((-amount * rate).quantize(CENT, rounding=ROUND_HALF_UP))
        ), line_key
    cad_rate = {rate for _, _, rate, _ in wrong_base if rate != 1}
    assert cad_rate <= {day["rate"]}
