"""A small Heartland Retail day through the real job: canonical.pos_* rebuilt from Retail tickets
(latest version wins, tax allocated to the cent, gift cards sold as a liability, unknown payment
types flagged, never guessed), the catalog tables, card tenders reconciled to the gateway
transactions landed alongside, and journals that balance. Money stays exact from the API's JSON
numbers to the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.landing import LandingWriter, LandingZone, envelope
from hl_d365_assets.settings import Settings
from hl_d365_assets_tests.conftest import make_settings, run_day
from hl_d365_assets_tests.retail_days import (
    gift_card_line,
    item,
    item_line,
    land_records,
    land_reference_data,
    num,
    payment,
    ticket,
)

DAY = date(2026, 11, 20)
MERCHANT = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"  # S001 in mappings/stores.csv
# Amounts whose binary floats are inexact, and powers of ten from a cent to ten million written
# as the API may write them (exponents included).
EXACT_AMOUNTS = [
    "0.1", "0.2", "72.95", "72.95", "72.95",
    "1e-2", "0.1", "1", "1E1", "100", "1e+3", "10000", "1e5", "1000000", "1E7",
]  # fmt: skip
EXACT_FIRST_ID = 500


def gateway_capture(transaction_id: str, amount_minor: int, time_created: str) -> str:
    """A captured card sale as the GP-API lands it (test_heartland_shapes.py's row shape)."""
    payload = {
        "id": transaction_id,
        "time_created": time_created,
        "status": "CAPTURED",
        "type": "SALE",
        "channel": "CP",
        "merchant_id": MERCHANT,
        "merchant_name": "Manhattan Flagship",
        "account_id": "TRA_c9ee3d2fb6a04d07a7a4c6d3e8b1f0aa",
        "site_reference": "S001",
        "amount": str(amount_minor),
        "currency": "USD",
        "reference": "retail-web",
        "description": "",
        "batch_id": "BAT_983471",
        "parent_resource_id": transaction_id,
        "payment_method": {
            "result": "00",
            "message": "SUCCESS",
            "entry_mode": "CHIP",
            "id": "PMT_abc",
            "card": {"brand": "VISA", "masked_number_first6last4": "411111XXXXXX1111"},
        },
    }
    event = f"EVT_{transaction_id.removeprefix('TRN_')}_CAPTURED"
    return envelope(event, "transaction.captured", payload, received_at="2026-11-20T19:05:00.000Z")


def land_day(settings: Settings) -> None:
    zone = LandingZone(settings.landing_dir)
    land_reference_data(zone, DAY, [item(2001, "SKU-1"), item(2002, "SKU-2", cost="3.00")])
    land_records(
        zone,
        "inventory_values",
        DAY,
        [
            {
                "item_id": 2001,
                "location_id": 1,
                "qty_on_hand": num("12.5"),
                "qty_available": num("10"),
                "qty_committed": num("2.5"),
                "unit_cost": num("4.10"),
            }
        ],
    )
    edited_v1 = ticket(7, [item_line(1, 2001, "SKU-1", "1", "5.00")])
    edited_v2 = ticket(
        7,
        [item_line(1, 2001, "SKU-1", "1", "5.00"), item_line(2, 2002, "SKU-2", "1", "2.00")],
        updated_at="2026-11-20T17:30:00.000-05:00",
    )
    tickets = [
        # A card sale with a discounted item and a gift card sold.
        ticket(
            1,
            [
                item_line(1, 2001, "SKU-1", "2", "12.00", adjusted="10.00", unit_cost="4.10"),
                gift_card_line(2, "25.00"),
            ],
            [payment(11, 3, "46.78", "TRN_RetailTicketOneVisa")],
            tax_total="1.78",
        ),
        # Tax that does not split evenly over three equal lines.
        ticket(
            2,
            [item_line(n, 2001, "SKU-1", "1", "10.00") for n in (1, 2, 3)],
            tax_total="1.00",
        ),
        # A return: negative quantity, value, tax, total and refund; no original ticket named.
        ticket(3, [item_line(1, 2002, "SKU-2", "-1", "10.00")], tax_total="-0.89"),
        # Payments that do not sum to the total.
        ticket(4, [item_line(1, 2001, "SKU-1", "1", "5.00")], [payment(41, 1, "4.00")]),
        # An unknown payment type.
        ticket(5, [item_line(1, 2001, "SKU-1", "1", "5.00")], [payment(51, 7, "5.00")]),
        # An item deleted from Retail while a ticket refers to it.
        ticket(6, [item_line(1, 9999, "SKU-GONE", "1", "3.00")]),
        edited_v1,
        edited_v2,
    ] + [
        ticket(EXACT_FIRST_ID + n, [item_line(1, 2001, "SKU-1", "1", amount, unit_cost="0")])
        for n, amount in enumerate(EXACT_AMOUNTS)
    ]
    land_records(zone, "tickets", DAY, tickets)
    with LandingWriter(zone, "gateway-test") as writer:
        writer.append_lines(
            "heartland",
            "payment_transactions",
            DAY,
            [gateway_capture("TRN_RetailTicketOneVisa", 4678, "2026-11-20T19:04:00.000Z")],
        )


@dataclass(frozen=True)
class RetailDay:
    settings: Settings
    pos_sales_metadata: dict


@pytest.fixture(scope="module")
def retail_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RetailDay]:
    settings = make_settings(tmp_path_factory.mktemp("retail_day") / "data")
    land_day(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_day(settings, instance, DAY, raise_on_error=False)
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        assert not failed, failed
        metadata = {
            k: v.value
            for m in result.asset_materializations_for_node("canonical_pos")
            if m.asset_key == dg.AssetKey(["canonical", "pos_sales"])
            for k, v in m.metadata.items()
        }
        yield RetailDay(settings, metadata)


def query(day: RetailDay, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(day.settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


def test_sums_over_the_day_equal_exact_decimal_arithmetic(retail_day) -> None:
    expected = sum(Decimal(a) for a in EXACT_AMOUNTS)
    ids = [str(EXACT_FIRST_ID + n) for n in range(len(EXACT_AMOUNTS))]
    params = {"ids": ids}
    [(raw_total,)] = query(
        retail_day, "SELECT sum(total) FROM raw.retail_tickets WHERE ticket_id IN $ids", params
    )
    [(sales, tenders, lines)] = query(
        retail_day,
        "SELECT (SELECT sum(total) FROM canonical.pos_sales WHERE ticket_id IN $ids), "
        "(SELECT sum(amount) FROM canonical.pos_tenders WHERE ticket_id IN $ids), "
        "(SELECT sum(line_total) FROM canonical.pos_sale_lines WHERE ticket_id IN $ids)",
        params,
    )
    assert raw_total == sales == tenders == lines == expected == Decimal("11111330.26")
    # The trap is real: the same amounts summed as binary floats miss by a fraction of a cent.
    assert sum(float(a) for a in EXACT_AMOUNTS[:5]) != float(Decimal("219.15"))


def test_the_later_version_of_an_edited_ticket_wins_and_is_counted(retail_day) -> None:
    assert query(
        retail_day,
        "SELECT total, line_count, superseded_versions FROM canonical.pos_sales WHERE ticket_id = '7'",
    ) == [(Decimal("7.00"), 2, 1)]
    assert retail_day.pos_sales_metadata["superseded_versions"] == 1


def test_ticket_tax_is_allocated_to_lines_to_the_cent(retail_day) -> None:
    assert query(
        retail_day,
        "SELECT tax_amount FROM canonical.pos_sale_lines WHERE ticket_id = '2' ORDER BY line_number",
    ) == [(Decimal("0.34"),), (Decimal("0.33"),), (Decimal("0.33"),)]
    assert (
        query(
            retail_day,
            "SELECT s.ticket_id FROM canonical.pos_sales AS s JOIN canonical.pos_sale_lines AS l "
            "USING (business_date, ticket_id) GROUP BY s.ticket_id, s.tax_total "
            "HAVING sum(l.tax_amount) <> s.tax_total",
        )
        == []
    )


def test_a_sale_maps_store_register_cashier_discount_and_the_gift_card_line(retail_day) -> None:
    assert query(
        retail_day,
        "SELECT store_id, legal_entity, register_id, cashier_id, ticket_type, status_code, "
        "subtotal, discount_total, tax_total, total FROM canonical.pos_sales WHERE ticket_id = '1'",
    ) == [
        (
            "S001",
            "usrt",
            "R01",
            "C017",
            "SALE",
            "Invoiced",
            Decimal("49.00"),
            Decimal("4.00"),
            Decimal("1.78"),
            Decimal("46.78"),
        )
    ]
    assert query(
        retail_day,
        "SELECT line_type, sku, quantity, unit_price, discount_amount, tax_amount, line_total, "
        "d365_sales_tax_code FROM canonical.pos_sale_lines WHERE ticket_id = '1' ORDER BY line_number",
    ) == [
        ("ITEM", "SKU-1", 2, Decimal("12.00"), Decimal("4.00"), Decimal("1.78"), Decimal("21.78"), "NY_SALES"),
        ("GIFT_CARD", None, 1, Decimal("25.00"), Decimal("0.00"), Decimal("0.00"), Decimal("25.00"), "EXEMPT"),
    ]  # fmt: skip
    assert query(
        retail_day,
        "SELECT tender_type, card_brand, payment_method_code, gateway_transaction_id, card_first6, "
        "card_last4, mapping_issue FROM canonical.pos_tenders WHERE ticket_id = '1'",
    ) == [("CARD", "VISA", "VISA", "TRN_RetailTicketOneVisa", None, None, None)]


def test_a_return_without_its_original_sale_loads_as_a_negative_return(retail_day) -> None:
    assert query(
        retail_day,
        "SELECT ticket_type, original_ticket_id, total, tendered_total, mapping_issue "
        "FROM canonical.pos_sales WHERE ticket_id = '3'",
    ) == [("RETURN", None, Decimal("-10.89"), Decimal("-10.89"), None)]


def test_an_unknown_payment_type_is_flagged_never_guessed(retail_day) -> None:
    [(tender_type, method, issue)] = query(
        retail_day,
        "SELECT tender_type, payment_method_code, mapping_issue FROM canonical.pos_tenders "
        "WHERE ticket_id = '5'",
    )
    assert (tender_type, method) == (None, None)
    assert issue == (
        'unmapped_payment_type: Retail payment type "Bitcoin" is not in '
        "mappings/retail_payment_types.csv"
    )
    assert query(
        retail_day,
        "SELECT count(*) FROM gl.journal_line_sources WHERE source_id IN ('5', '5-P51')",
    ) == [(0,)]


def test_payments_short_of_the_total_are_kept_and_the_difference_goes_to_over_short(
    retail_day,
) -> None:
    assert query(
        retail_day,
        "SELECT total, tendered_total, mapping_issue FROM canonical.pos_sales WHERE ticket_id = '4'",
    ) == [(Decimal("5.00"), Decimal("4.00"), None)]
    assert query(
        retail_day,
        "SELECT sum(amount) FROM gl.journal_line_sources "
        "WHERE posting_kind = 'cash_over_short' AND source_id = '4'",
    ) == [(Decimal("1.00"),)]


def test_an_item_deleted_while_a_ticket_refers_to_it_is_flagged_not_blocking(retail_day) -> None:
    assert query(
        retail_day,
        "SELECT sku, description, is_absent, sold_on_day, mapping_issue LIKE 'item_not_in_snapshot:%' "
        "FROM canonical.items WHERE item_id = '9999'",
    ) == [("SKU-GONE", "item SKU-GONE", True, True, True)]
    assert query(
        retail_day,
        "SELECT l.sku, l.mapping_issue, s.mapping_issue FROM canonical.pos_sale_lines AS l "
        "JOIN canonical.pos_sales AS s USING (business_date, ticket_id) WHERE ticket_id = '6'",
    ) == [("SKU-GONE", None, None)]


def test_locations_and_stock_are_mapped_and_valued_exactly(retail_day) -> None:
    assert query(
        retail_day,
        "SELECT store_id, legal_entity, stations[1].name, mapping_issue IS NOT NULL "
        "FROM canonical.locations ORDER BY location_id",
    ) == [("S001", "usrt", "R01", False), ("S999", None, "R01", True)]
    assert query(
        retail_day,
        "SELECT sku, store_id, qty_on_hand, value FROM canonical.inventory_on_hand",
    ) == [("SKU-1", "S001", Decimal("12.5"), Decimal("51.25"))]


def test_card_tenders_reconcile_and_the_journals_balance_with_gift_cards_as_a_liability(
    retail_day,
) -> None:
    assert query(
        retail_day,
        "SELECT status, matched_by, transaction_id FROM recon.tenders_vs_gateway WHERE ticket_id = '1'",
    ) == [("matched", "gateway_transaction_id", "TRN_RetailTicketOneVisa")]
    journals = query(retail_day, "SELECT balanced, debit_total FROM gl.journals")
    assert journals and all(balanced and debits > 0 for balanced, debits in journals)
    assert query(
        retail_day,
        "SELECT j.main_account, sum(s.amount) FROM gl.journal_line_sources AS s "
        "JOIN gl.journal_lines AS j USING (line_key) WHERE s.posting_kind = 'gift_card_sold' "
        "GROUP BY 1",
    ) == [("240300", Decimal("-25.00"))]
    [(revenue,)] = query(
        retail_day,
        "SELECT -sum(amount) FROM gl.journal_line_sources "
        "WHERE posting_kind = 'revenue' AND source_id = '1'",
    )
    assert revenue == Decimal("20.00")


def test_the_exact_money_day_really_lands_exponent_forms_as_json_numbers(retail_day) -> None:
    [segment] = LandingZone(retail_day.settings.landing_dir).segments(
        "heartland_retail", "tickets", DAY
    )
    text = segment.read_text()
    assert '"unit_price":1e-2,' in text and '"value":1E+7,' in text and '"total":72.95,' in text
