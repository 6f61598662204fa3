"""POS risk features (sql/risk/features_pos.sql) on hand-made canonical tickets, tenders and
gateway transactions in a real DuckDB warehouse: each pattern fires its rule of
mappings/risk_rules.csv and the near miss beside it does not — voids after capture, refunds with
no sale, larger than the sale or to another card, tickets split just under the limit, discounts
above the store's policy."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema
from hl_d365_assets_tests.risk_features import alerting, fired_rules, write_features

DAY = date(2026, 11, 20)
STORE = "S001"
MERCHANT = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"
_lines = itertools.count(1)


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time())


class Shop:
    """Writes canonical POS tickets and the gateway transactions of their card tenders."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def insert(self, sql: str, params: dict) -> None:
        """Binds only the parameters the statement names (DuckDB refuses the others)."""
        self.conn.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()

    def transaction(
        self,
        trn: str,
        amount: str,
        *,
        day: date = DAY,
        clock: str = "12:00",
        kind: str = "SALE",
        status: str = "CAPTURED",
        token: str | None = None,
        card: tuple[str, str] = ("411111", "1111"),
        parent: str | None = None,
    ) -> None:
        self.insert(
            """
            INSERT INTO canonical.payments BY NAME
            SELECT $day AS business_date, $trn AS transaction_id, $store AS store_id,
                   'usrt' AS legal_entity, $merchant AS merchant_id, $kind AS transaction_type,
                   $status AS gateway_status, $status IN ('CAPTURED', 'BATCHED') AS is_financial,
                   $first6 AS card_first6, $last4 AS card_last4, $token AS payment_token,
                   $parent AS parent_transaction_id, 'USD' AS currency, $amount AS amount,
                   CAST($time AS TIMESTAMP) AS time_created, CAST($time AS TIMESTAMP) AS local_time,
                   now() AS last_received_at, false AS is_late, 1 AS event_count,
                   'EVT_' || $trn AS source_event_id, 'seg' AS source_segment_path,
                   $line AS source_line_number
            """,
            {
                "day": day,
                "trn": trn,
                "store": STORE,
                "merchant": MERCHANT,
                "kind": kind,
                "status": status,
                "first6": card[0],
                "last4": card[1],
                "token": token,
                "parent": parent,
                "amount": Decimal(amount) * (-1 if kind == "REFUND" else 1),
                "time": at(day, clock),
                "line": next(_lines),
            },
        )

    def ticket(
        self,
        ticket_id: str,
        cashier: str,
        total: str,
        *,
        day: date = DAY,
        clock: str = "12:00",
        status: str = "complete",
        trn: str | None = None,
        discount: str = "0.00",
        skus: tuple[str, ...] = (),
    ) -> None:
        """A sale (positive ``total``) or return (negative), paid by card when ``trn`` names its
        gateway transaction, else in cash."""
        amount = Decimal(total)
        kind = "RETURN" if amount < 0 else "SALE"
        params = {
            "day": day,
            "ticket": ticket_id,
            "store": STORE,
            "cashier": cashier,
            "kind": kind,
            "status": status,
            "financial": status == "complete",
            "subtotal": amount + Decimal(discount),
            "discount": Decimal(discount),
            "total": amount,
            "time": at(day, clock),
            "line": next(_lines),
        }
        self.insert(
            """
            INSERT INTO canonical.pos_sales BY NAME
            SELECT $day AS business_date, $ticket AS ticket_id, $store AS store_id,
                   'usrt' AS legal_entity, 'R1' AS register_id, $cashier AS cashier_id,
                   $kind AS ticket_type, $status AS ticket_status, $financial AS is_financial,
                   'USD' AS currency, $subtotal AS subtotal, $discount AS discount_total,
                   0 AS tax_total, $total AS total, $total AS tendered_total, 1 AS line_count,
                   1 AS tender_count, CAST($time AS TIMESTAMP) AS closed_at,
                   CAST($time AS TIMESTAMP) AS local_closed_at, now() AS received_at,
                   false AS is_late, 'EVT' AS source_event_id, 'seg' AS source_segment_path,
                   $line AS source_line_number
            """,
            params,
        )
        self.insert(
            """
            INSERT INTO canonical.pos_tenders BY NAME
            SELECT $day AS business_date, $ticket AS ticket_id, $ticket || '-P1' AS tender_id,
                   $store AS store_id, $kind AS ticket_type, $financial AS is_financial,
                   CASE WHEN $trn IS NULL THEN 'CASH' ELSE 'CARD' END AS tender_type,
                   $trn AS gateway_transaction_id, 'USD' AS currency, $total AS amount,
                   CAST($time AS TIMESTAMP) AS local_closed_at
            """,
            {**params, "trn": trn},
        )
        for number, sku in enumerate(skus, start=1):
            self.insert(
                """
                INSERT INTO canonical.pos_sale_lines BY NAME
                SELECT $day AS business_date, $ticket AS ticket_id, $number AS line_number,
                       $store AS store_id, $kind AS ticket_type, $financial AS is_financial,
                       $sku AS sku, CASE WHEN $kind = 'RETURN' THEN -1 ELSE 1 END AS quantity,
                       'USD' AS currency, $total AS line_total
                """,
                {**params, "number": number, "sku": sku},
            )


@pytest.fixture(scope="module")
def fired(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    conn = duckdb.connect(str(tmp_path_factory.mktemp("risk_pos") / "warehouse.duckdb"))
    ensure_schema(conn)
    load_mappings(conn, PROJECT_ROOT / "mappings")
    shop = Shop(conn)
    earlier = DAY - timedelta(days=2)

    # The store's ordinary day: 200 cash sales by twenty other cashiers.
    for n in range(200):
        shop.ticket(f"B{n}", f"C{20 + n % 20:03d}", "18.00", clock=f"{9 + n % 9}:{n % 60:02d}")
    # Voids: C001's ticket stays captured at the gateway; C002 voids one card sale after capture
    # (reversed: a near miss), C003 five in a day, far more than the store's other cashiers.
    voids = [("T1", "C001", "CAPTURED"), ("T2", "C002", "REVERSED")]
    voids += [(f"T{n}", "C003", "REVERSED") for n in range(3, 8)]
    for ticket, cashier, status in voids:
        shop.transaction(f"TRN_{ticket}", "42.00", status=status, token=f"PMT_{ticket}")
        shop.ticket(ticket, cashier, "42.00", status="voided", trn=f"TRN_{ticket}")

    # R1: a refund naming no sale, to a card never seen; R2 (near miss): no parent, but its card
    # bought at the store this morning.
    shop.transaction("TRN_R1", "60.00", kind="REFUND", token="PMT_X", parent="TRN_R1")
    shop.ticket("R1", "C004", "-60.00", trn="TRN_R1")
    shop.transaction("TRN_SY", "50.00", clock="10:00", token="PMT_Y")
    shop.ticket("SY", "C009", "50.00", clock="10:00", trn="TRN_SY")
    shop.transaction("TRN_R2", "20.00", kind="REFUND", token="PMT_Y", clock="15:00")
    shop.ticket("R2", "C004", "-20.00", clock="15:00", trn="TRN_R2")
    # A card refund at the gateway with no POS ticket and no sale.
    shop.transaction("TRN_G1", "75.00", kind="REFUND", token="PMT_G", parent="TRN_G1")

    # R3 refunds 80.00 of a 40.00 sale; R4 (near miss) exactly the sale.
    shop.transaction("TRN_S3", "40.00", day=earlier, token="PMT_3")
    shop.transaction("TRN_R3", "80.00", kind="REFUND", token="PMT_3", parent="TRN_S3")
    shop.ticket("R3", "C004", "-80.00", trn="TRN_R3")
    shop.transaction("TRN_S4", "40.00", day=earlier, token="PMT_4")
    shop.transaction("TRN_R4", "40.00", kind="REFUND", token="PMT_4", parent="TRN_S4")
    shop.ticket("R4", "C004", "-40.00", trn="TRN_R4")
    # R5b's 30.00 is within its 50.00 sale, but R5a already gave back 30.00 of it.
    shop.transaction("TRN_S5", "50.00", day=earlier, token="PMT_5")
    shop.transaction("TRN_R5A", "30.00", day=earlier, kind="REFUND", token="PMT_5", parent="TRN_S5")
    shop.transaction("TRN_R5B", "30.00", kind="REFUND", token="PMT_5", parent="TRN_S5")
    shop.ticket("R5B", "C008", "-30.00", trn="TRN_R5B")
    # R6 goes back to another card than its sale's.
    shop.transaction("TRN_S6", "25.00", day=earlier, token="PMT_A6", card=("411111", "1111"))
    shop.transaction(
        "TRN_R6", "25.00", kind="REFUND", token="PMT_B6", card=("550000", "0004"), parent="TRN_S6"
    )
    shop.ticket("R6", "C008", "-25.00", trn="TRN_R6")

    # Cash returns: CR1's item was never sold at the store, CR2's was (near miss).
    shop.ticket("SOLD", "C009", "30.00", day=earlier, skus=("SKU-SOLD",))
    shop.ticket("CR1", "C010", "-30.00", skus=("SKU-NEVER",))
    shop.ticket("CR2", "C010", "-30.00", skus=("SKU-SOLD",))

    # Splits (limit 250.00, just under = from 225.00): C005 three on one card in nine minutes;
    # C006 two on one card 40 minutes apart; C007 two on one card, not near the limit.
    for ticket, cashier, total, clock, token in (
        ("P1", "C005", "245.00", "14:00", "PMT_SPLIT"),
        ("P2", "C005", "240.00", "14:04", "PMT_SPLIT"),
        ("P3", "C005", "238.50", "14:09", "PMT_SPLIT"),
        ("N1", "C006", "245.00", "14:00", "PMT_NEAR"),
        ("N2", "C006", "240.00", "14:40", "PMT_NEAR"),
        ("N3", "C007", "120.00", "14:00", "PMT_LOW"),
        ("N4", "C007", "150.00", "14:03", "PMT_LOW"),
    ):
        shop.transaction(f"TRN_{ticket}", total, clock=clock, token=token)
        shop.ticket(ticket, cashier, total, clock=clock, trn=f"TRN_{ticket}")

    # Discounts: D1 gives 45 % of its list value (policy 30 %), D2 25 %.
    shop.ticket("D1", "C011", "55.00", discount="45.00")
    shop.ticket("D2", "C011", "75.00", discount="25.00")

    write_features(conn, "pos", DAY)
    return fired_rules(conn, "pos")


def alerts(fired: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in alerting(fired):
        found.setdefault(row["entity_id"], set()).add(row["pattern"])
    return found


def test_each_pos_pattern_alerts_on_its_ticket_or_cashier_and_the_near_misses_do_not(
    fired,
) -> None:
    assert alerts(fired) == {
        "T1": {"void_after_capture"},
        "S001/cashier C003": {"void_after_capture"},
        "R1": {"refund_no_sale"},
        "TRN_G1": {"refund_no_sale"},
        "CR1": {"refund_no_sale"},
        "R3": {"refund_larger_than_sale"},
        "R5B": {"refund_larger_than_sale"},
        "R6": {"refund_other_card"},
        "S001/cashier C005": {"split_ticket"},
        "D1": {"discount_above_policy"},
    }


def test_a_refund_larger_than_its_sale_counts_what_the_sale_already_gave_back(fired) -> None:
    row = next(r for r in fired if r["entity_id"] == "R5B")
    assert row["value"] == pytest.approx(1.2)
    assert "60.00 refunded so far of sale TRN_S5 of 50.00" in row["evidence"]
    assert row["record_ids"] == ["ticket:R5B", "transaction:TRN_R5B"]


def test_a_refund_to_another_card_shows_first6_last4_only(fired) -> None:
    row = next(r for r in fired if r["entity_id"] == "R6")
    assert "550000**0004" in row["evidence"] and "411111**1111" in row["evidence"]
    assert "PMT_" not in row["evidence"]


def test_a_split_ticket_names_every_ticket_and_transaction_of_the_purchase(fired) -> None:
    row = next(r for r in fired if r["pattern"] == "split_ticket")
    assert row["value"] == 3
    assert sorted(row["record_ids"]) == sorted(
        [f"ticket:{t}" for t in ("P1", "P2", "P3")]
        + [f"transaction:TRN_{t}" for t in ("P1", "P2", "P3")]
    )
    assert "between 14:00 and 14:09" in row["evidence"] and "250.00 limit" in row["evidence"]


def test_a_cashier_voiding_many_card_sales_is_compared_with_the_stores_other_cashiers(
    fired,
) -> None:
    row = next(r for r in fired if r["rule_id"] == "pos_cashier_voids_after_capture")
    assert (
        "voided 5 card sale(s) after capture in 5 ticket(s) (T3, T4, T5, T6, T7)" in row["evidence"]
    )
    assert "other cashiers voided 2 in" in row["evidence"]
    assert {f"ticket:T{n}" for n in range(3, 8)} <= set(row["record_ids"])
    assert "transaction:TRN_T3" in row["record_ids"]
