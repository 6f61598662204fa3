"""Two sandbox days with every risk pattern injected (and the usual defects), landed and
materialised through the real job: every truth record is a record of the canonical layer, each
instance looks in canonical data like the fraud it stands for, and the days load as cleanly as
clean days do — nothing quarantined beyond the defects' ground truth, every blocking check green
— raising only the reconciliation exceptions the fraud itself causes."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.sandbox import CARD_BRANDS, RISK_PATTERNS, RiskPatternRates, SandboxConfig
from hl_d365_assets.settings import Settings

from .conftest import generate_days, make_settings, run_range

DAYS = [date(2026, 11, 16), date(2026, 11, 17)]
SEED = 11
PER_STORE = 80
STORES = 3  # card_many_stores needs three stores; fewer keep the module quick
EVERY_PATTERN_EVERYWHERE = RiskPatternRates(**dict.fromkeys(RISK_PATTERNS, 1000))


@pytest.fixture(scope="module")
def risky_days(tmp_path_factory: pytest.TempPathFactory, instance: dg.DagsterInstance):
    settings = make_settings(tmp_path_factory.mktemp("risk_sandbox") / "data")
    report = generate_days(
        settings,
        DAYS,
        SandboxConfig(
            seed=SEED,
            store_count=STORES,
            transactions_per_store_day=PER_STORE,
            mappings_dir=settings.mappings_dir,
            risk=EVERY_PATTERN_EVERYWHERE,
        ),
        ground_truth_path=settings.data_dir / "sandbox" / "ground_truth.ndjson",
    )
    results = [run_range(settings, instance, DAYS)]
    truth = [
        json.loads(line)
        for line in (settings.data_dir / "sandbox" / "risk_truth.ndjson").read_text().splitlines()
    ]
    return settings, report, results, truth


_READERS: dict[Path, duckdb.DuckDBPyConnection] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_readers() -> Iterator[None]:
    yield
    while _READERS:
        _READERS.popitem()[1].close()


def _query(settings: Settings, sql: str, params: list | dict | None = None) -> list[tuple]:
    """One read-only connection per loaded warehouse for the module: nothing writes to it after
    its fixture, and a fresh connect for each of the tests' hundred-odd queries cost more than
    the queries."""
    if settings.warehouse_path not in _READERS:
        _READERS[settings.warehouse_path] = duckdb.connect(
            str(settings.warehouse_path), read_only=True
        )
    return _READERS[settings.warehouse_path].execute(sql, params).fetchall()


def _instances(truth: list[dict[str, str]], pattern: str) -> dict[str, list[str]]:
    """instance id -> the ids (without their kind) of its records of ``kind``... per pattern."""
    found: dict[str, list[str]] = defaultdict(list)
    for entry in truth:
        if entry["pattern"] == pattern:
            found[entry["instance_id"]].append(entry["record_id"])
    return found


def _ids(records: list[str], kind: str) -> list[str]:
    return [r.split(":", 1)[1] for r in records if r.startswith(kind + ":")]


def test_every_pattern_is_injected_and_counted(risky_days) -> None:
    _, report, _, truth = risky_days
    assert {e["pattern"] for e in truth} == set(RISK_PATTERNS)
    assert set(report.risk_instances) == set(RISK_PATTERNS)
    for pattern in RISK_PATTERNS:
        assert report.risk_instances[pattern] == len(_instances(truth, pattern))
    assert all(set(e) == {"business_date", "pattern", "instance_id", "record_id"} for e in truth)


def test_every_truth_record_is_in_the_canonical_layer(risky_days) -> None:
    settings, _, _, truth = risky_days
    known = {
        "transaction": {
            t for (t,) in _query(settings, "SELECT transaction_id FROM canonical.payments")
        },
        "ticket": {t for (t,) in _query(settings, "SELECT ticket_id FROM canonical.pos_sales")},
        "batch": {
            f"{b}/{brand}"
            for b, brand in _query(
                settings, "SELECT batch_id, card_brand FROM canonical.settlement_fees"
            )
        },
    }
    missing = [
        e["record_id"]
        for e in truth
        if e["record_id"].split(":", 1)[1] not in known[e["record_id"].split(":", 1)[0]]
    ]
    assert missing == []


def test_injected_days_load_as_cleanly_as_clean_days(risky_days) -> None:
    settings, report, results, _ = risky_days
    for result in results:
        assert result.success
        assert [
            e.asset_check_key.to_user_string()
            for e in result.get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
        ] == []
        conservation = {
            e.asset_key.to_user_string(): e.passed
            for e in result.get_asset_check_evaluations()
            if e.asset_check_key.name == "conservation"
        }
        assert {"raw/payment_transactions", "raw/settlement_batches", "raw/retail_tickets"} <= set(
            conservation
        )
        assert all(conservation.values())
    quarantined_truth = sorted(
        d["event_id"] for d in report.ground_truth if d["expected"].startswith("quarantined:")
    )
    assert (
        sorted(e for (e,) in _query(settings, "SELECT event_id FROM ops.quarantine"))
        == quarantined_truth
    )


@pytest.fixture(scope="module")
def clean_days(tmp_path_factory: pytest.TempPathFactory, instance: dg.DagsterInstance):
    """The same days, seed and defects without the risk patterns."""
    settings = make_settings(tmp_path_factory.mktemp("risk_sandbox_clean") / "data")
    generate_days(
        settings,
        DAYS,
        SandboxConfig(
            seed=SEED,
            store_count=STORES,
            transactions_per_store_day=PER_STORE,
            mappings_dir=settings.mappings_dir,
        ),
    )
    assert run_range(settings, instance, DAYS).success
    return settings


def test_the_fraud_raises_only_the_exceptions_it_causes(risky_days, clean_days) -> None:
    """refund_larger_than_sale is a refund past its sale: reconciliation's refund_exceeds_sale.
    Every other pattern is consistent money (its sales settle, declines and authorisations do
    not, an overcharged fee is in the batch's fee total and deposit), so the injected days raise
    exactly the reconciliation exceptions the same days raise without them."""
    settings, report, _, truth = risky_days
    larger = {
        refund
        for records in _instances(truth, "refund_larger_than_sale").values()
        for refund in _ids(records, "transaction")
    }
    defects = {d["key"] for d in report.ground_truth if d["defect"] == "refund_exceeds_sale"}
    raised = _query(
        settings, "SELECT source_keys FROM recon.exceptions WHERE kind = 'refund_exceeds_sale'"
    )
    assert {keys.split(",")[0].removeprefix("refund_id=") for (keys,) in raised} == (
        larger | defects
    )
    # Retail ticket ids are numbered per day over all stores, so the injected tickets move the
    # ids of later stores' tickets: compare the exceptions on everything but those. The risk
    # layer's own exceptions (kind risk_<pattern>) are what the injection is for, and the YAML
    # business rules' (kind business_rule, e.g. the seed stock-level rule) are not
    # reconciliation's: both are left out.
    others = (
        "SELECT kind, regexp_replace(source_keys, '(ticket|tender)_id=[0-9P-]+, ', '', 'g') "
        "FROM recon.exceptions WHERE kind NOT IN ('refund_exceeds_sale', 'business_rule') "
        "AND NOT starts_with(kind, 'risk_') "
        "ORDER BY ALL"
    )
    assert _query(settings, others) == _query(clean_days, others)


def test_a_card_testing_burst_is_many_small_keyed_attempts_at_one_store_within_minutes(
    risky_days,
) -> None:
    settings, _, _, truth = risky_days
    for records in _instances(truth, "card_testing").values():
        ids = _ids(records, "transaction")
        [(stores, span, largest, modes, financial, count)] = _query(
            settings,
            "SELECT count(DISTINCT store_id), max(time_created) - min(time_created), max(amount), "
            "list(DISTINCT entry_mode), bool_or(is_financial), count(DISTINCT payment_token) "
            "FROM canonical.payments WHERE transaction_id IN (SELECT unnest($ids))",
            {"ids": ids},
        )
        assert stores == 1 and count == len(ids) >= 12
        assert span.total_seconds() <= 10 * 60
        assert largest < Decimal("5.00") and modes == ["MANUAL"] and not financial


def test_one_card_buys_at_several_stores_within_the_hour(risky_days) -> None:
    settings, _, _, truth = risky_days
    for records in _instances(truth, "card_many_stores").values():
        [(stores, cards, span)] = _query(
            settings,
            "SELECT count(DISTINCT store_id), count(DISTINCT (payment_token, card_first6, card_last4)), "
            "max(time_created) - min(time_created) FROM canonical.payments "
            "WHERE transaction_id IN (SELECT unnest($ids))",
            {"ids": _ids(records, "transaction")},
        )
        assert stores >= 3 and cards == 1 and span.total_seconds() < 3600


def test_refunds_without_a_sale_larger_than_it_or_to_another_card(risky_days) -> None:
    settings, _, _, truth = risky_days
    check = {
        # the unlinked refund names itself, as no sale exists
        "refund_no_sale": "r.parent_transaction_id = r.transaction_id AND s.transaction_id = r.transaction_id",
        "refund_larger_than_sale": "s.transaction_type = 'SALE' AND -r.amount > s.amount "
        "AND r.payment_token = s.payment_token",
        "refund_other_card": "s.transaction_type = 'SALE' AND -r.amount <= s.amount "
        "AND r.payment_token <> s.payment_token AND r.card_last4 || r.card_first6 <> s.card_last4 || s.card_first6",
    }
    for pattern, condition in check.items():
        instances = _instances(truth, pattern)
        assert instances
        for records in instances.values():
            [refund] = _ids(records, "transaction")
            [ticket] = _ids(records, "ticket")
            assert _query(
                settings,
                f"SELECT {condition} FROM canonical.payments AS r "
                "JOIN canonical.payments AS s ON s.transaction_id = r.parent_transaction_id "
                "WHERE r.transaction_id = $id AND r.transaction_type = 'REFUND' AND r.is_financial",
                {"id": refund},
            ) == [(True,)], pattern
            assert _query(
                settings,
                "SELECT ticket_type, gateway_transaction_id FROM canonical.pos_tenders WHERE ticket_id = $t",
                {"t": ticket},
            ) == [("RETURN", refund)]


def test_outliers_off_hours_and_excessive_tips_are_settled_card_sales(risky_days) -> None:
    settings, _, _, truth = risky_days
    [(clean_largest,)] = _query(
        settings,
        "SELECT max(amount) FROM canonical.payments WHERE transaction_id NOT IN (SELECT unnest($ids))",
        {"ids": [e["record_id"].split(":", 1)[1] for e in truth]},
    )
    rules = {
        "amount_outlier": f"amount > 2 * {clean_largest}",
        "off_hours": "hour(local_time) NOT BETWEEN 8 AND 20",
        "excessive_tip": "tip_amount >= 0.6 * (amount - tip_amount)",
    }
    for pattern, rule in rules.items():
        for records in _instances(truth, pattern).values():
            ids = _ids(records, "transaction")
            assert _query(
                settings,
                f"SELECT bool_and({rule} AND is_financial AND transaction_type = 'SALE' "
                "AND batch_id IS NOT NULL), count(*) FROM canonical.payments "
                "WHERE transaction_id IN (SELECT unnest($ids))",
                {"ids": ids},
            ) == [(True, len(ids))], pattern
            assert len(_ids(records, "ticket")) == len(ids)


def test_split_tickets_are_one_card_one_cashier_just_under_the_limit(risky_days) -> None:
    settings, _, _, truth = risky_days
    limit = Decimal(EVERY_PATTERN_EVERYWHERE.split_ticket_limit_minor) / 100
    for records in _instances(truth, "split_ticket").values():
        tickets = _ids(records, "ticket")
        [(count, cashiers, registers, cards, low, high, span)] = _query(
            settings,
            "SELECT count(*), count(DISTINCT s.cashier_id), count(DISTINCT s.register_id), "
            "count(DISTINCT p.payment_token), min(s.total), max(s.total), "
            "max(s.closed_at) - min(s.closed_at) "
            "FROM canonical.pos_sales AS s JOIN canonical.pos_tenders AS t USING (ticket_id) "
            "JOIN canonical.payments AS p ON p.transaction_id = t.gateway_transaction_id "
            "WHERE s.ticket_id IN (SELECT unnest($ids))",
            {"ids": tickets},
        )
        assert count == len(tickets) >= 3
        assert (cashiers, registers, cards) == (1, 1, 1)
        assert limit * Decimal("0.9") < low and high < limit
        assert span.total_seconds() < 20 * 60


def test_one_cashier_voids_many_captured_sales(risky_days) -> None:
    settings, _, _, truth = risky_days
    for records in _instances(truth, "void_after_capture").values():
        tickets = _ids(records, "ticket")
        assert _query(
            settings,
            "SELECT count(DISTINCT cashier_id), list(DISTINCT ticket_status), count(*) "
            "FROM canonical.pos_sales WHERE ticket_id IN (SELECT unnest($ids))",
            {"ids": tickets},
        ) == [(1, ["voided"], len(tickets))]
        assert _query(
            settings,
            "SELECT list(DISTINCT gateway_status), bool_and(event_count = 2) "
            "FROM canonical.payments WHERE transaction_id IN (SELECT unnest($ids))",
            {"ids": _ids(records, "transaction")},
        ) == [(["REVERSED"], True)]


def test_a_compromised_register_swipes_or_keys_its_cards_on_consecutive_days(
    risky_days,
) -> None:
    settings, _, _, truth = risky_days
    spans = []
    for records in _instances(truth, "compromised_terminal").values():
        rows = _query(
            settings,
            "SELECT DISTINCT p.business_date, p.store_id, s.register_id, p.entry_mode "
            "FROM canonical.payments AS p "
            "JOIN canonical.pos_tenders AS t ON t.gateway_transaction_id = p.transaction_id "
            "JOIN canonical.pos_sales AS s ON s.ticket_id = t.ticket_id "
            "WHERE p.transaction_id IN (SELECT unnest($ids))",
            {"ids": _ids(records, "transaction")},
        )
        assert len({(store, register) for _, store, register, _ in rows}) == 1
        assert {mode for *_, mode in rows} <= {"SWIPE", "MANUAL"}
        days = sorted({day for day, *_ in rows})
        assert (days[-1] - days[0]).days == len(days) - 1
        spans.append(len(days))
    assert max(spans) == len(DAYS), "an instance goes on from one day to the next"


def test_an_overcharged_brand_pays_above_its_contracted_rate(risky_days) -> None:
    settings, _, _, truth = risky_days
    contract = {b.name: b for b in CARD_BRANDS}
    for records in _instances(truth, "fee_above_contract").values():
        [record] = _ids(records, "batch")
        batch_id, brand = record.split("/")
        [(sales, count, fees, batch_fees, deposit, net)] = _query(
            settings,
            "SELECT f.sales_amount, f.transaction_count, f.fees_amount, b.fees_amount, "
            "b.deposit_amount, b.net_amount "
            "FROM canonical.settlement_fees AS f JOIN canonical.settlement_batches AS b USING (batch_id) "
            "WHERE f.batch_id = $b AND f.card_brand = $brand",
            {"b": batch_id, "brand": brand},
        )
        contracted_rate = Decimal(contract[brand].fee_rate_bp) / 10000
        assert fees - Decimal(contract[brand].fee_per_sale) / 100 * count > sales * (
            contracted_rate + Decimal("0.0020")
        )
        assert deposit == net - batch_fees
