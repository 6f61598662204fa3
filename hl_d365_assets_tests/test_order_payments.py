"""D365 sales orders paid by card over the phone or the web: the sandbox lands them as gateway
transactions with no Heartland Retail ticket, settles them in their store's batch, and
reconciliation accounts for them against raw.d365_sales_orders instead of raising exceptions.

The POS side is what the pipeline sees: the Retail store the generator wrote, landed by the real
Heartland Retail pull, loaded as canonical POS tables from raw.retail_tickets."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import SOURCE, DefectRates, SandboxConfig, generate, load_stores
from hl_d365_assets.sandbox.order_payments import SALES_ORDERS_CSV
from hl_d365_assets.settings import Settings
from hl_d365_assets.time_zones import zone as time_zone
from hl_d365_assets_tests.conftest import (
    generate_days,
    make_settings,
    rematerialise,
    run_range,
)

# Two days run twice, most of a minute in five tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

# 2026-11-06 pays orders 6 (CAD, on S004) and 26 (USD, on S001); 2026-11-07 orders 7 and 27.
DAYS = [date(2026, 11, 6), date(2026, 11, 7)]
CONFIG = SandboxConfig(
    seed=31, transactions_per_store_day=60, defect_rates=DefectRates.none(), order_payments=True
)
STORES = {store.store_id: store for store in load_stores()}
RETAIL_SOURCE = "heartland_retail"
PAYING_STORE = {"USD": "S001", "CAD": "S004"}
SALES_ORDERS = dg.AssetKey(["raw", "d365_sales_orders"])


def seed_orders() -> list[dict[str, str]]:
    with SALES_ORDERS_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_payments() -> dict[str, tuple[date, str, str, int]]:
    """Order number -> (day, store, currency, amount in cents), by the documented rule."""
    return {
        order["SalesOrderNumber"]: (
            day,
            PAYING_STORE[order["CurrencyCode"]],
            order["CurrencyCode"],
            int(Decimal(order["OrderTotalAmount"]) * 100),
        )
        for day in DAYS
        for position, order in enumerate(seed_orders(), 1)
        if position % 20 == day.toordinal() % 20
    }


@dataclass
class Landed:
    root: Path
    transactions: dict[date, list[dict]]
    batches: dict[date, list[dict]]
    tickets: dict[date, list[dict]]


def _payloads(zone: LandingZone, entity: str, day: date, source: str = SOURCE) -> list[dict]:
    return [
        json.loads(line)["payload"]
        for segment in zone.segments(source, entity, day)
        for line in segment.read_text(encoding="utf-8").splitlines()
    ]


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Landed:
    """Two clean days with order payments, landed once; each warehouse test copies them."""
    root = tmp_path_factory.mktemp("order_payments") / "data"
    settings = make_settings(root)
    zone = LandingZone(settings.landing_dir)
    report = generate_days(settings, DAYS, CONFIG, ground_truth_path=root / "truth.ndjson")
    assert report.ground_truth == []
    return Landed(
        root=root,
        transactions={day: _payloads(zone, "payment_transactions", day) for day in DAYS},
        batches={day: _payloads(zone, "settlement_batches", day) for day in DAYS},
        tickets={day: _payloads(zone, "tickets", day, RETAIL_SOURCE) for day in DAYS},
    )


def _order_payments(landed: Landed) -> list[tuple[date, dict]]:
    return [
        (day, payment)
        for day, payments in landed.transactions.items()
        for payment in payments
        if payment["reference"].startswith("SO-")
    ]


def test_orders_due_on_a_day_are_paid_on_the_first_store_of_their_currency_without_a_ticket(
    landed: Landed,
) -> None:
    paid = _order_payments(landed)
    assert {"USD", "CAD"} <= {payment["currency"] for _, payment in paid}
    assert Counter(payment["reference"] for _, payment in paid).most_common(1)[0][1] == 1
    assert {
        payment["reference"]: (
            day,
            payment["site_reference"],
            payment["currency"],
            int(payment["amount"]),
        )
        for day, payment in paid
    } == expected_payments()

    # A card payment names its gateway transaction; the transaction's reference names the
    # payment as <ticket>-T<position>.
    named_by_tickets = {
        value
        for tickets in landed.tickets.values()
        for ticket in tickets
        for position, payment in enumerate(ticket["payments"], 1)
        for value in (
            f"{ticket['public_id']}-T{position}",
            payment["custom"].get("gateway_transaction_id"),
        )
    }
    assert any(name.startswith("TRN_") for name in named_by_tickets if name)
    for day, payment in paid:
        store = STORES[payment["site_reference"]]
        assert payment["id"] not in named_by_tickets
        assert payment["reference"] not in named_by_tickets
        assert (payment["status"], payment["type"], payment["channel"]) == (
            "CAPTURED",
            "SALE",
            "CNP",
        )
        assert payment["merchant_id"] == store.merchant_id
        assert payment["gratuity_amount"] == "0"
        assert payment["batch_id"].startswith("BAT_")
        assert payment["payment_method"]["card"]["brand"]
        masked = payment["payment_method"]["card"]["masked_number_first6last4"]
        assert masked[:6].isdigit() and masked[-4:].isdigit() and set(masked[6:-4]) == {"X"}
        local = datetime.fromisoformat(payment["time_created"].replace("Z", "+00:00")).astimezone(
            time_zone(store.timezone)
        )
        assert local.date() == day and 8 <= local.hour < 21


def test_the_store_batch_settles_order_payments_with_its_other_captured_transactions(
    landed: Landed,
) -> None:
    for day in DAYS:
        latest: dict[str, dict] = {}
        for payment in landed.transactions[day]:
            kept = latest.get(payment["id"])
            if kept is None or payment["time_last_updated"] > kept["time_last_updated"]:
                latest[payment["id"]] = payment
        captured = defaultdict(list)
        for payment in latest.values():
            if payment["status"] == "CAPTURED":
                captured[payment["batch_id"]].append(payment)
        for batch in landed.batches[day]:
            payments = captured[batch["id"]]
            sales = [int(p["amount"]) for p in payments if p["type"] == "SALE"]
            refunds = [int(p["amount"]) for p in payments if p["type"] == "REFUND"]
            assert batch["sales"] == {"count": len(sales), "amount": str(sum(sales))}
            assert int(batch["amount"]) == sum(sales) - sum(refunds)
            assert batch["transaction_count"] == len(payments)
            fees = sum(int(entry["fees_amount"]) for entry in batch["brand_breakdown"])
            assert int(batch["deposit"]["amount"]) == int(batch["amount"]) - fees
            assert sum(entry["count"] for entry in batch["brand_breakdown"]) == len(payments)
        settled = {p["id"] for payments in captured.values() for p in payments}
        assert {p["id"] for d, p in _order_payments(landed) if d == day} <= settled


def _warehouse(landed: Landed, root: Path) -> Settings:
    settings = make_settings(root)
    shutil.copytree(landed.root / "landing", settings.landing_dir)
    return settings


def _fill_sales_orders_from_seed(settings: Settings) -> None:
    """What the D365 pull would hold: the simulator's seed orders, without the simulator."""
    with build_resources(settings)["warehouse"].writer() as conn:
        conn.execute(
            """
            INSERT INTO raw.d365_sales_orders BY NAME
            SELECT *, TIMESTAMPTZ '2026-11-05 06:00:00+00' AS pulled_at
            FROM read_csv($path, header = true, all_varchar = true)
            """,
            {"path": str(SALES_ORDERS_CSV)},
        ).fetchall()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def reconciled(landed: Landed, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The two days run through the real job with the seed's sales orders in D365, once."""
    settings = _warehouse(landed, tmp_path_factory.mktemp("order_payments_run") / "data")
    _fill_sales_orders_from_seed(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_range(settings, instance, DAYS).success
    return settings


def test_order_payments_reconcile_against_the_sales_orders_d365_holds(
    reconciled: Settings,
) -> None:
    settings = reconciled
    rows = _query(
        settings,
        """
        SELECT v.business_date, v.store_id, v.currency, v.matched_by, p.reference,
               v.transaction_amount, v.reason
        FROM recon.tenders_vs_gateway AS v
        JOIN canonical.payments AS p USING (business_date, transaction_id)
        WHERE v.status = 'sales_order_payment'
        """,
    )
    assert {
        reference: (day, store, currency, int(amount * 100))
        for day, store, currency, _, reference, amount, _ in rows
    } == expected_payments()
    for _, _, _, matched_by, reference, _, reason in rows:
        assert matched_by == "sales_order"
        assert f"pays D365 sales order {reference} of customer " in reason
    assert _query(settings, "SELECT DISTINCT status FROM recon.tenders_vs_gateway ORDER BY 1") == [
        ("matched",),
        ("sales_order_payment",),
    ]
    assert _query(settings, "SELECT count(*) FROM recon.exceptions") == [(0,)]
    assert _query(
        settings,
        "SELECT sum(sales_order_payments), sum(unmatched_transactions), sum(open_exceptions) "
        "FROM recon.daily_summary",
    ) == [(len(expected_payments()), 0, 0)]


def test_an_order_payment_d365_does_not_hold_is_an_exception_naming_the_sales_order(
    reconciled: Settings, tmp_path: Path
) -> None:
    # The reconciled days, then a D365 pull that holds none of the orders and the assets that
    # read it rebuilt ("materialize selected"): what reconciliation computes from
    # raw.d365_sales_orders as it stands, as a whole run of days never holding them does.
    settings = make_settings(tmp_path / "data")
    shutil.copytree(reconciled.data_dir, settings.data_dir)
    with build_resources(settings)["warehouse"].writer() as conn:
        conn.execute("DELETE FROM raw.d365_sales_orders").fetchall()
    with dg.DagsterInstance.ephemeral() as instance:
        assert rematerialise(
            settings, instance, DAYS, dg.AssetSelection.assets(SALES_ORDERS).downstream()
        ).success

    exceptions = _query(settings, "SELECT kind, source_keys, detail FROM recon.exceptions")
    assert len(exceptions) == len(expected_payments())
    for kind, _, detail in exceptions:
        assert kind == "gateway_transaction_without_tender"
        assert "looks like a D365 sales order" in detail
        assert "raw.d365_sales_orders holds no sales order SO-" in detail
    assert sorted(detail.split()[1] for *_, detail in exceptions) == sorted(expected_payments())


def test_without_order_payments_a_day_is_unchanged_and_with_them_only_gains_their_lines(
    tmp_path: Path,
) -> None:
    """Same seed with default defects: the flag left off lands what the default lands, and
    turning it on adds the order payments (and changes the paying stores' batches) only."""
    day = date(2026, 11, 6)
    base = {"seed": 32, "store_count": 4, "transactions_per_store_day": 80}
    variants = {
        "default": SandboxConfig(**base),
        "off": SandboxConfig(**base, order_payments=False),
        "on": SandboxConfig(**base, order_payments=True),
    }
    lines: dict[str, dict[str, list[str]]] = {}
    truth: dict[str, bytes] = {}
    for name, config in variants.items():
        zone = LandingZone(tmp_path / name / "landing")
        truth_path = tmp_path / name / "truth.ndjson"
        report = generate(zone, [day], config, ground_truth_path=truth_path)
        truth[name] = truth_path.read_bytes()
        lines[name] = {
            entity: [
                line
                for segment in zone.segments(SOURCE, entity, day)
                for line in segment.read_text(encoding="utf-8").splitlines()
            ]
            for entity in ("payment_transactions", "settlement_batches")
        }
        # The POS tickets: the documents the Heartland Retail simulator serves.
        lines[name]["tickets"] = (
            (report.retail_store_dir / "tickets.ndjson").read_text(encoding="utf-8").splitlines()
        )

    assert lines["off"] == lines["default"]
    assert truth["off"] == truth["default"]
    # The same records carry the same defects; a mismatched batch's detail quotes its sales.
    default_truth, on_truth = (
        [
            {**entry, "detail": ""} if entry["entity"] == "settlement_batches" else entry
            for entry in map(json.loads, truth[name].splitlines())
        ]
        for name in ("default", "on")
    )
    assert default_truth and on_truth == default_truth
    assert lines["on"]["tickets"] and lines["on"]["tickets"] == lines["default"]["tickets"]
    order_lines = [
        line for line in lines["on"]["payment_transactions"] if '"reference":"SO-' in line
    ]
    assert {json.loads(line)["payload"]["reference"] for line in order_lines} == {
        "SO-000006",  # CAD, on S004 (the fourth store)
        "SO-000026",
    }
    assert [
        line for line in lines["on"]["payment_transactions"] if line not in order_lines
    ] == lines["default"]["payment_transactions"]
    changed = {
        json.loads(line)["payload"]["site_reference"]
        for line in lines["on"]["settlement_batches"]
        if line not in lines["default"]["settlement_batches"]
    }
    assert changed == {"S001", "S004"}
