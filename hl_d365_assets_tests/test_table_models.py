"""Table models as asset checks: clean pipeline rows pass, each broken rule is named and counted,
a broken raw contract blocks the canonical layer, and no card number reaches check metadata.

One sandbox day is landed and run through the real job once per module; the rule tests break one
row of that day's tables and validate them with the same code the Dagster check runs.
"""

from __future__ import annotations

import inspect
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.landing import LandingWriter, LandingZone, envelope
from hl_d365_assets.settings import Settings
from hl_d365_assets.table_checks import (
    CHECK_NAME,
    read_partition,
    validate_partition,
    validate_rows,
)
from hl_d365_assets.table_models import canonical, raw, slice_keys, unique_keys
from hl_d365_assets.table_models.payroll import PayrollAllocations
from hl_d365_assets.warehouse import run_script, sql_file
from hl_d365_assets_tests.conftest import daily_job, make_settings, run_day
from hl_d365_assets_tests.retail_days import (
    gift_card_line,
    item,
    item_line,
    land_records,
    land_reference_data,
    payment,
    ticket,
)

DAY = "2026-11-20"
S001_MERCHANT = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"
S004_MERCHANT = "MER_9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c"
BATCH = "BAT_S001_20261120"
MODELS = {
    "raw.payment_transactions": raw.PaymentTransactions,
    "raw.settlement_batches": raw.SettlementBatches,
    "raw.retail_tickets": raw.RetailTickets,
    "canonical.payments": canonical.Payments,
    "canonical.settlement_batches": canonical.SettlementBatches,
    "canonical.settlement_fees": canonical.SettlementFees,
    "canonical.pos_sales": canonical.PosSales,
    "canonical.pos_sale_lines": canonical.PosSaleLines,
    "canonical.pos_tenders": canonical.PosTenders,
}


# --- a small sandbox day, written through the landing zone's one writer -----------------------


def _payment(transaction_id: str, **changes: object) -> dict:
    payload = {
        "id": transaction_id,
        "time_created": "2026-11-20T19:03:22.123Z",
        "status": "CAPTURED",
        "type": "SALE",
        "channel": "CP",
        "merchant_id": S001_MERCHANT,
        "merchant_name": "Manhattan Flagship",
        "account_id": "TRA_0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "site_reference": "S001",
        "amount": "2593",
        "gratuity_amount": "200",
        "currency": "USD",
        "reference": "TKT-S001-20261120-000001-T1",
        "description": "",
        "batch_id": BATCH,
        "parent_resource_id": transaction_id,
        "payment_method": {
            "result": "00",
            "message": "SUCCESS",
            "entry_mode": "CHIP",
            "id": "PMT_3f2a9c1d5e7b4a6c8d0e2f4a6b8c0d1e",
            "card": {
                "brand": "VISA",
                "masked_number_first6last4": "411111XXXXXX1111",
                "authcode": "A1B2C3",
                "brand_reference": "brx",
                "funding": "CREDIT",
            },
        },
        "action": {"id": "ACT_1", "type": "AUTHORIZE", "result_code": "SUCCESS"},
    }
    return {**payload, **changes}


def land_sandbox_day(
    landing_dir: Path, extra_payments: tuple[dict, ...] = (), batch_changes: dict | None = None
) -> None:
    """A sale, a refund, a decline, a capture later voided, a CAD sale; their batch; and from
    Heartland Retail a sale ticket (card + cash, a gift card sold), a return, and a ticket paid
    with a gift card and an unknown payment type."""
    with LandingWriter(LandingZone(landing_dir), "test") as writer:

        def land(entity: str, event_id: str, event_type: str, payload: dict) -> None:
            line = envelope(event_id, event_type, payload, "2026-11-20T19:04:00.000Z")
            writer.append("heartland", entity, DAY, line)

        payments = (
            _payment("TRN_sale1"),
            _payment("TRN_refund1", type="REFUND", amount="1034", gratuity_amount="0",
                     parent_resource_id="TRN_sale1"),
            _payment("TRN_declined1", status="DECLINED", batch_id=""),
            _payment("TRN_void1"),
            _payment("TRN_void1", status="REVERSED", batch_id="",
                     time_last_updated="2026-11-20T19:10:00.000Z"),
            _payment("TRN_cad1", merchant_id=S004_MERCHANT, currency="CAD", amount="1200",
                     gratuity_amount="0", batch_id="BAT_S004_20261120"),
            *extra_payments,
        )  # fmt: skip
        for n, transaction in enumerate(payments, start=1):
            land("payment_transactions", f"EVT_P{n}", "transaction.captured", transaction)
        batch = {
            "id": BATCH, "status": "CLOSED", "time_created": "2026-11-20T13:00:00Z",
            "time_closed": "2026-11-21T04:00:00Z", "merchant_id": S001_MERCHANT,
            "merchant_name": "Manhattan Flagship", "site_reference": "S001", "currency": "USD",
            "amount": "1559", "transaction_count": "2",
            "sales": {"count": "1", "amount": "2593"}, "refunds": {"count": "1", "amount": "1034"},
            "gratuity_amount": "200",
            "brand_breakdown": [{"brand": "VISA", "count": "2", "amount": "1559",
                                 "sales": {"count": "1", "amount": "2593"},
                                 "refunds": {"count": "1", "amount": "1034"},
                                 "fees_amount": "60"}],
            "deposit": {"id": "DEP_S001_20261121", "time_created": "2026-11-21",
                        "status": "FUNDED", "amount": "1499", "fees": {"amount": "60"}},
        }  # fmt: skip
        land("settlement_batches", "EVT_B1", "batch.closed", {**batch, **(batch_changes or {})})
    zone = LandingZone(landing_dir)
    day = date.fromisoformat(DAY)
    land_reference_data(zone, day, [item(2001, "SKU-1"), item(2002, "SKU-2", price="5.00")])
    land_records(zone, "tickets", day, [
        ticket(1, [item_line(1, 2001, "SKU-1", "2", "10.00", adjusted="9.50"),
                   item_line(2, 2002, "SKU-2", "1", "5.00"), gift_card_line(3, "10.00")],
               [payment(11, 3, "23.93", "TRN_sale1"), payment(12, 1, "12.00")],
               tax_total="1.93"),
        ticket(2, [item_line(1, 2001, "SKU-1", "-1", "10.00", adjusted="9.50")],
               [payment(21, 3, "-10.34", "TRN_refund1")], tax_total="-0.84"),
        ticket(3, [item_line(1, 2002, "SKU-2", "3", "2.50")],
               [payment(31, 4, "5.00"), payment(32, 7, "2.50")]),
    ])  # fmt: skip


# --- one pipeline run for the module ----------------------------------------------------------


@dataclass(frozen=True)
class PipelineDay:
    settings: Settings
    result: dg.ExecuteInProcessResult
    tables: dict[str, pl.DataFrame]

    def evaluation(self, asset: str, check: str) -> dg.AssetCheckEvaluation:
        key = dg.AssetCheckKey(dg.AssetKey(asset.split(".")), check)
        (found,) = [
            e for e in self.result.get_asset_check_evaluations() if e.asset_check_key == key
        ]
        return found


@pytest.fixture(scope="module")
def pipeline_day(
    tmp_path_factory: pytest.TempPathFactory, instance: dg.DagsterInstance
) -> PipelineDay:
    settings = make_settings(tmp_path_factory.mktemp("table_models") / "data")
    land_sandbox_day(settings.landing_dir)
    result = run_day(settings, instance, DAY, raise_on_error=False)
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tables = {
            table: read_partition(conn, table, date.fromisoformat(DAY), date.fromisoformat(DAY))
            for table in MODELS
        }
    finally:
        conn.close()
    return PipelineDay(settings, result, tables)


def _metadata(result: dg.AssetCheckEvaluation | dg.AssetCheckResult) -> dict[str, object]:
    return {key: value.value for key, value in result.metadata.items()}


def test_every_table_model_accepts_the_rows_the_pipeline_builds(pipeline_day: PipelineDay):
    for table in MODELS:
        evaluation = pipeline_day.evaluation(table, CHECK_NAME)
        metadata = _metadata(evaluation)
        assert evaluation.passed, (table, metadata)
        assert metadata["rows_checked"] == pipeline_day.tables[table].height > 0
        assert metadata["failing_rows"] == 0


def test_clean_rows_also_pass_plain_pandera_validation(pipeline_day: PipelineDay):
    for table, model in MODELS.items():
        model.validate(pipeline_day.tables[table], lazy=True)


def test_money_reaches_the_models_as_exact_decimals(pipeline_day: PipelineDay):
    payments = pipeline_day.tables["canonical.payments"]
    assert payments.schema["amount"] == pl.Decimal(18, 2)
    assert payments.schema["fx_rate"] == pl.Decimal(18, 8)
    refund = payments.filter(pl.col("transaction_id") == "TRN_refund1")
    assert refund["amount"].item() == Decimal("-10.34")


def test_unknown_tender_type_passes_the_contract_and_is_left_to_the_mappings_check(
    pipeline_day: PipelineDay,
):
    assert pipeline_day.evaluation("canonical.pos_tenders", CHECK_NAME).passed
    mappings = pipeline_day.evaluation("canonical.pos_tenders", "mappings_complete")
    assert not mappings.passed
    assert 'payment type "Bitcoin"' in _metadata(mappings)["issues"]


# --- each rule fails on one crafted bad row ---------------------------------------------------


def _set(column: str, value: object, where: pl.Expr) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Set one column (a value or an expression) on the rows ``where`` selects, keeping the
    column's exact dtype."""

    def tamper(rows: pl.DataFrame) -> pl.DataFrame:
        new = value if isinstance(value, pl.Expr) else pl.lit(value)
        return rows.with_columns(
            pl.when(where)
            .then(new)
            .otherwise(pl.col(column))
            .cast(rows.schema[column])
            .alias(column)
        )

    return tamper


def _negate(*columns: str, where: pl.Expr) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def tamper(rows: pl.DataFrame) -> pl.DataFrame:
        return rows.with_columns(
            pl.when(where).then(-pl.col(c)).otherwise(pl.col(c)).cast(rows.schema[c]).alias(c)
            for c in columns
        )

    return tamper


def _duplicate_first_row(**changes: object) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def tamper(rows: pl.DataFrame) -> pl.DataFrame:
        copy = rows.head(1).with_columns(
            pl.lit(value).cast(rows.schema[column]).alias(column)
            for column, value in changes.items()
        )
        return pl.concat([rows, copy])

    return tamper


CENT = Decimal("0.01")
PAN = "4111111111111111"
SALE = pl.col("transaction_id") == "TRN_sale1"
REFUND = pl.col("transaction_id") == "TRN_refund1"
RETURN = pl.col("ticket_type") == "RETURN"
CASH_TENDER = pl.col("tender_type") == "CASH"
SALE_TICKET = pl.col("ticket_id") == "1"
FIRST = pl.int_range(pl.len()) == 0
LINE_VALUES_PLUS_A_CENT = pl.col("lines").list.eval(
    pl.element().struct.with_fields(pl.field("value") + CENT)
)
UNKNOWN_LINE_TYPE = pl.col("lines").list.eval(
    pl.element().struct.with_fields(pl.lit("ExchangeLine").alias("type"))
)
GIFT_CARD_LINE_WITH_PAN = pl.col("lines").list.eval(
    pl.element().struct.with_fields(
        pl.when(pl.field("type") == "GiftCardLine")
        .then(pl.lit(PAN))
        .otherwise(pl.field("gift_card_number_last4"))
        .alias("gift_card_number_last4")
    )
)
RETURN_TICKET_TOTALS = (
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "tendered_total",
    "tip_total",
)
RETURN_LINE_AMOUNTS = ("quantity", "discount_amount", "tax_amount", "line_total", "cost_total")

BROKEN_ROWS = {
    # canonical.payments
    "refund_with_positive_amount": (
        "canonical.payments", _negate("amount", where=REFUND), "refunds_are_negative", 1),
    "tip_larger_than_its_payment": (
        "canonical.payments", _set("tip_amount", pl.col("amount") + CENT, SALE), "tip_is_part_of_amount", 1),
    "captured_payment_without_batch_id": (
        "canonical.payments", _set("batch_id", None, SALE), "captured_payments_carry_batch_id", 1),
    "clean_payment_without_base_amount": (
        "canonical.payments", _set("base_amount", None, SALE), "base_amount_present_when_clean", 1),
    "unexplained_missing_payment_method": (
        "canonical.payments", _set("payment_method_code", None, SALE), "payment_method_mapped_or_explained", 1),
    "unexplained_missing_payment_status": (
        "canonical.payments", _set("status_code", None, SALE), "status_mapped_or_explained", 1),
    "more_card_digits_than_first_six": (
        "canonical.payments", _set("card_first6", PAN, SALE), "card_first6: str_matches('^[0-9]{6}$')", 1),
    "transaction_twice_in_a_day": (
        "canonical.payments", _duplicate_first_row(source_line_number=99), "one_row_per_transaction", 2),
    # canonical.settlement_batches
    "batch_net_not_sales_minus_refunds": (
        "canonical.settlement_batches", _set("refunds_amount", pl.col("refunds_amount") + CENT, FIRST),
        "net_is_sales_minus_refunds", 1),
    "batch_count_not_sales_plus_refunds": (
        "canonical.settlement_batches", _set("transaction_count", pl.col("transaction_count") + 1, FIRST),
        "count_is_sales_plus_refunds", 1),
    "clean_batch_without_base_net_amount": (
        "canonical.settlement_batches", _set("base_net_amount", None, FIRST), "base_amounts_present_when_clean", 1),
    "batch_twice_in_a_day": (
        "canonical.settlement_batches", _duplicate_first_row(source_line_number=99), "one_row_per_batch", 2),
    # canonical.settlement_fees
    "unexplained_missing_fee_payment_method": (
        "canonical.settlement_fees", _set("payment_method_code", None, FIRST), "payment_method_mapped_or_explained", 1),
    "clean_fee_without_base_amount": (
        "canonical.settlement_fees", _set("base_fees_amount", None, FIRST), "base_fees_present_when_clean", 1),
    "brand_fees_twice": (
        "canonical.settlement_fees", _duplicate_first_row(), "one_row_per_batch_and_brand", 2),
    # canonical.pos_sales
    "ticket_total_off_by_a_cent": (
        "canonical.pos_sales", _set("total", pl.col("total") + CENT, FIRST), "ticket_total_adds_up", 1),
    "return_ticket_with_positive_totals": (
        "canonical.pos_sales", _negate(*RETURN_TICKET_TOTALS, where=RETURN), "returns_are_negative", 1),
    "clean_ticket_without_base_total": (
        "canonical.pos_sales", _set("base_total", None, FIRST), "base_total_present_when_clean", 1),
    "unexplained_missing_ticket_status": (
        "canonical.pos_sales", _set("status_code", None, FIRST), "status_mapped_or_explained", 1),
    "ticket_twice_in_a_day": (
        "canonical.pos_sales", _duplicate_first_row(source_line_number=99), "one_row_per_ticket", 2),
    # canonical.pos_sale_lines
    "line_total_off_by_a_cent": (
        "canonical.pos_sale_lines", _set("line_total", pl.col("line_total") + CENT, FIRST), "line_total_adds_up", 1),
    "cost_total_off_by_a_cent": (
        "canonical.pos_sale_lines", _set("cost_total", pl.col("cost_total") + CENT, FIRST), "cost_total_adds_up", 1),
    "return_line_with_positive_amounts": (
        "canonical.pos_sale_lines", _negate(*RETURN_LINE_AMOUNTS, where=RETURN), "returns_are_negative", 1),
    "clean_line_without_base_total": (
        "canonical.pos_sale_lines", _set("base_line_total", None, FIRST), "base_totals_present_when_clean", 1),
    "unexplained_missing_sales_tax_code": (
        "canonical.pos_sale_lines", _set("d365_sales_tax_code", None, FIRST), "tax_code_mapped_or_explained", 1),
    "ticket_line_twice": (
        "canonical.pos_sale_lines", _duplicate_first_row(), "one_row_per_ticket_line", 2),
    # canonical.pos_tenders
    "return_tender_paying_in": (
        "canonical.pos_tenders", _negate("amount", where=RETURN), "returns_are_negative", 1),
    "clean_tender_without_base_amount": (
        "canonical.pos_tenders", _set("base_amount", None, CASH_TENDER), "base_amount_present_when_clean", 1),
    "unexplained_missing_tender_payment_method": (
        "canonical.pos_tenders", _set("payment_method_code", None, CASH_TENDER),
        "payment_method_mapped_or_explained", 1),
    "gift_card_number_beyond_last_four": (
        "canonical.pos_tenders", _set("gift_card_last4", PAN, pl.col("tender_type") == "GIFT_CARD"),
        "gift_card_last4: str_matches('^[0-9]{4}$')", 1),
    "unknown_ticket_type": (
        "canonical.pos_tenders", _set("ticket_type", "EXCHANGE", CASH_TENDER),
        "ticket_type: isin(['SALE', 'RETURN'])", 1),
    "tender_twice_in_a_day": (
        "canonical.pos_tenders", _duplicate_first_row(), "one_row_per_tender", 2),
    # raw.payment_transactions
    "raw_event_loaded_twice": (
        "raw.payment_transactions", _duplicate_first_row(line_number=99), "one_row_per_event", 2),
    "raw_landed_line_loaded_twice": (
        "raw.payment_transactions", _duplicate_first_row(event_id="EVT_other"), "one_row_per_landed_line", 2),
    "raw_unknown_transaction_type": (
        "raw.payment_transactions", _set("type", "CREDIT", FIRST), "type: isin(['SALE', 'REFUND'])", 1),
    "raw_tip_larger_than_its_payment": (
        "raw.payment_transactions", _set("gratuity_amount", pl.col("amount") + 1, SALE), "tip_is_part_of_amount", 1),
    "raw_captured_payment_without_batch_id": (
        "raw.payment_transactions", _set("batch_id", None, SALE), "captured_payments_carry_batch_id", 1),
    # raw.settlement_batches
    "raw_batch_net_not_sales_minus_refunds": (
        "raw.settlement_batches", _set("refunds_amount", pl.col("refunds_amount") + 1, FIRST),
        "net_is_sales_minus_refunds", 1),
    "raw_batch_count_not_sales_plus_refunds": (
        "raw.settlement_batches", _set("transaction_count", pl.col("transaction_count") + 1, FIRST),
        "count_is_sales_plus_refunds", 1),
    "raw_batch_without_brand_breakdown": (
        "raw.settlement_batches", _set("brand_breakdown", pl.col("brand_breakdown").list.head(0), FIRST),
        "brand_breakdown_covers_the_batch", 1),
    # raw.retail_tickets
    "raw_ticket_without_lines": (
        "raw.retail_tickets", _set("lines", pl.col("lines").list.head(0), SALE_TICKET), "ticket_has_lines", 1),
    "raw_ticket_line_of_unknown_type": (
        "raw.retail_tickets", _set("lines", UNKNOWN_LINE_TYPE, SALE_TICKET), "ticket_has_lines", 1),
    "raw_ticket_line_value_off_by_a_cent": (
        "raw.retail_tickets", _set("lines", LINE_VALUES_PLUS_A_CENT, SALE_TICKET), "line_values_add_up", 1),
    "raw_ticket_total_off_by_a_cent": (
        "raw.retail_tickets", _set("total", pl.col("total") + CENT, SALE_TICKET), "ticket_total_adds_up", 1),
    "raw_ticket_balance_off_by_a_cent": (
        "raw.retail_tickets", _set("balance", pl.col("balance") + CENT, SALE_TICKET), "ticket_total_adds_up", 1),
    "raw_gift_card_line_with_full_card_number": (
        "raw.retail_tickets", _set("lines", GIFT_CARD_LINE_WITH_PAN, SALE_TICKET),
        "gift_cards_keep_only_last_four", 1),
}  # fmt: skip


@pytest.mark.parametrize(
    ("table", "tamper", "check", "failing_rows"), BROKEN_ROWS.values(), ids=BROKEN_ROWS.keys()
)
def test_broken_row_fails_its_rule_and_metadata_names_rule_and_count(
    pipeline_day: PipelineDay, table, tamper, check, failing_rows
):
    rows = tamper(pipeline_day.tables[table])
    assert rows.schema == pipeline_day.tables[table].schema

    result = validate_rows(MODELS[table], rows)

    metadata = _metadata(result)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert metadata["failures_by_check"] == {check: failing_rows}
    assert metadata["failing_rows"] == failing_rows
    assert check in metadata["failures"]
    assert metadata["sample_failing_rows"].count("\n") == 1 + failing_rows
    assert PAN not in " ".join(str(value) for value in metadata.values())


def test_deposit_differing_from_net_minus_fees_warns_instead_of_blocking(
    pipeline_day: PipelineDay,
):
    batches = pipeline_day.tables["canonical.settlement_batches"]
    short_paid = _set("deposit_amount", pl.col("deposit_amount") - CENT, FIRST)(batches)

    result = validate_rows(canonical.SettlementBatches, short_paid)

    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert _metadata(result)["failures_by_check"] == {"deposit_is_net_minus_fees": 1}
    assert "| deposit_is_net_minus_fees | warn | 1 |" in _metadata(result)["failures"]


# --- through Dagster: masked metadata, and blocking --------------------------------------------


def test_failing_check_masks_a_card_number_planted_in_the_table(
    pipeline_day: PipelineDay, instance: dg.DagsterInstance, tmp_path: Path
):
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(pipeline_day.settings.warehouse_path, settings.warehouse_path)
    conn = duckdb.connect(str(settings.warehouse_path))
    conn.execute(
        "UPDATE canonical.payments SET amount = -amount, card_first6 = '4111111111111111', "
        "reference = 'call back on card 4111 1111 1111 1111' WHERE transaction_id = 'TRN_refund1'"
    ).fetchall()
    conn.close()
    key = dg.AssetCheckKey(dg.AssetKey(["canonical", "payments"]), CHECK_NAME)

    result = (
        daily_job()
        .get_subset(asset_selection=set(), asset_check_selection={key})
        .execute_in_process(
            partition_key=DAY,
            instance=instance,
            resources=build_resources(settings),
            raise_on_error=False,
        )
    )

    (evaluation,) = result.get_asset_check_evaluations()
    metadata = _metadata(evaluation)
    assert not evaluation.passed
    assert metadata["failures_by_check"] == {
        "refunds_are_negative": 1,
        "card_first6: str_matches('^[0-9]{6}$')": 1,
    }
    shown = " ".join(str(value) for value in metadata.values())
    assert "411111XXXXXX1111" in metadata["sample_failing_rows"]
    assert "call back on card 411111XXXXXX1111" in metadata["sample_failing_rows"]
    assert "4111111111111111" not in shown
    assert "4111 1111 1111 1111" not in shown


def test_raw_row_breaking_the_landing_contract_blocks_the_canonical_table(
    instance: dg.DagsterInstance, tmp_path: Path
):
    settings = make_settings(tmp_path / "data")
    unbatched = _payment("TRN_unbatched1", batch_id="")
    land_sandbox_day(settings.landing_dir, extra_payments=(unbatched,))
    raw_payments, canonical_payments = (
        dg.AssetKey(["raw", "payment_transactions"]),
        dg.AssetKey(["canonical", "payments"]),
    )

    result = (
        daily_job()
        .get_subset(asset_selection={raw_payments, canonical_payments})
        .execute_in_process(
            partition_key=DAY,
            instance=instance,
            resources=build_resources(settings),
            raise_on_error=False,
        )
    )

    (evaluation,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_check_key == dg.AssetCheckKey(raw_payments, CHECK_NAME)
    ]
    assert not evaluation.passed
    assert _metadata(evaluation)["failures_by_check"] == {"captured_payments_carry_batch_id": 1}
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert raw_payments in materialized
    assert canonical_payments not in materialized


def test_settlement_total_mismatch_warns_and_the_day_goes_on(
    instance: dg.DagsterInstance, tmp_path: Path
):
    """The sandbox's settlement_total_mismatch: the batch reports sales and net a cent high,
    the deposit keeps the true figure. Reconciliation must still see it, so nothing blocks."""
    settings = make_settings(tmp_path / "data")
    mismatch = {"amount": "1560", "sales": {"count": "1", "amount": "2594"}}
    land_sandbox_day(settings.landing_dir, batch_changes=mismatch)
    selection = {
        dg.AssetKey(["raw", "settlement_batches"]),
        dg.AssetKey(["canonical", "settlement_batches"]),
        dg.AssetKey(["canonical", "settlement_fees"]),
    }

    result = (
        daily_job()
        .get_subset(asset_selection=selection)
        .execute_in_process(
            partition_key=DAY,
            instance=instance,
            resources=build_resources(settings),
            raise_on_error=False,
        )
    )

    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    raw_contract = evaluations[
        dg.AssetCheckKey(dg.AssetKey(["raw", "settlement_batches"]), CHECK_NAME)
    ]
    batch_contract = evaluations[
        dg.AssetCheckKey(dg.AssetKey(["canonical", "settlement_batches"]), CHECK_NAME)
    ]
    assert raw_contract.passed
    assert not batch_contract.passed
    assert batch_contract.severity == dg.AssetCheckSeverity.WARN
    assert _metadata(batch_contract)["failures_by_check"] == {"deposit_is_net_minus_fees": 1}
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["canonical", "settlement_fees"]) in materialized
    # The run's end republished the read copy: the analysts see the flagged batch.
    with duckdb.connect(str(settings.read_copy_path), read_only=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM canonical.settlement_batches WHERE sales_amount = 25.94"
        ).fetchall() == [(1,)]


@pytest.mark.parametrize(
    ("table", "tamper", "check", "failing_rows"), BROKEN_ROWS.values(), ids=BROKEN_ROWS.keys()
)
def test_a_day_validated_in_slices_reports_what_the_whole_day_does(
    pipeline_day: PipelineDay, table, tamper, check, failing_rows
):
    """A big day is validated a slice at a time (bounded memory); the duplicate groups of every
    unique key share a slice, so the uniqueness rules still find both rows of a pair."""
    rows = tamper(pipeline_day.tables[table])
    schema = table.split(".")[0]
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.register("tampered", rows)
        conn.execute(f"CREATE TABLE {table} AS SELECT * FROM tampered")
        conn.unregister("tampered")
        slice_rows = max(1, rows.height // 4)  # four or five slices
        sliced = validate_partition(
            conn, table, MODELS[table], date.fromisoformat(DAY), slice_rows=slice_rows
        )
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (rows.height,)

    whole, parts = _metadata(validate_rows(MODELS[table], rows)), _metadata(sliced)
    assert not sliced.passed
    assert parts["rows_checked"] == rows.height
    assert parts["failures_by_check"] == whole["failures_by_check"] == {check: failing_rows}
    assert parts["failing_rows"] == failing_rows
    assert parts["sample_failing_rows"].count("\n") == 1 + min(failing_rows, 5)
    assert PAN not in " ".join(str(value) for value in parts.values())


def test_every_uniqueness_rule_declares_its_columns_for_the_slices() -> None:
    for model in MODELS.values():
        in_rules = {
            tuple(re.findall(r'"(\w+)"', columns))
            for cls in model.__mro__
            if cls.__module__.startswith("hl_d365_assets.table_models")
            for columns in re.findall(r"unique_together\(([^)]*)\)", inspect.getsource(cls))
        }
        assert in_rules == set(unique_keys(model)), model.__name__


def _table_models() -> list[type]:
    """Every DataFrameModel of hl_d365_assets.table_models, each where it is defined."""
    import importlib
    import pkgutil

    import pandera.polars as pa

    from hl_d365_assets import table_models

    found = []
    for info in pkgutil.iter_modules(table_models.__path__):
        module = importlib.import_module(f"{table_models.__name__}.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, pa.DataFrameModel)
            and value.__module__ == module.__name__
        ]
    return found


def test_every_rule_over_a_group_of_rows_declares_its_columns_for_the_slices() -> None:
    models = _table_models()
    assert PayrollAllocations in models
    for model in models:
        grouped = {
            tuple(re.findall(r'"(\w+)"', columns))
            for columns in re.findall(r"\.over\(([^)]*)\)", inspect.getsource(model))
        }
        assert grouped <= set(slice_keys(model)), model.__name__


def test_an_items_allocation_rows_share_a_slice_so_its_shares_still_sum_to_one() -> None:
    """Items 1, 3 and 5 are split over two departments; validated two rows a slice, row-id
    ranges alone would cut item 3 in two and each half would fail shares_of_an_item_sum_to_one."""
    parts = []
    for number in range(1, 7):
        shares = ["0.5", "0.5"] if number % 2 else ["1"]
        for department, share in zip(("100", "200"), shares, strict=False):
            parts.append(
                (f"HP_{number}", department, share, str(Decimal("10.00") * Decimal(share)))
            )
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA canonical")
        run_script(conn, sql_file("canonical/create_payroll_allocations.sql"))
        conn.executemany(
            "INSERT INTO canonical.payroll_allocations VALUES ($day, 'run', 'usrt', 'USD', $event, "
            "'E1', 'EARNING', '01', $department, 'S001', 'STORES', 'allocation_file', $share, "
            "$amount)",
            [
                {"day": DAY, "event": e, "department": d, "share": s, "amount": a}
                for e, d, s, a in parts
            ],
        )
        result = validate_partition(
            conn,
            "canonical.payroll_allocations",
            PayrollAllocations,
            date.fromisoformat(DAY),
            slice_rows=2,
        )
    assert result.passed, result.metadata["failures_by_check"]
    assert _metadata(result)["rows_checked"] == len(parts) == 9
