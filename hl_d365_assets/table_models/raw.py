"""Contracts of the raw tables: the landing format (docs/landing_format.md) after parsing.

The gateway's money is integer minor units and never negative here (the sign comes from
``type``); Heartland Retail's is exact DECIMAL in major units, signed as Retail sends it. The
parsers quarantine what breaks that, and these models pin what they let in.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine

from hl_d365_assets.table_models import (
    BATCH_STATUSES,
    CARD_LAST4,
    CURRENCY_CODE,
    MASKED_CARD_NUMBER,
    TRANSACTION_TYPES,
    Instant,
    Money,
    implies,
    unique_together,
)

BrandBreakdown = Annotated[
    polars_engine.List,
    pl.Struct(
        {
            "brand": pl.String,
            "count": pl.Int64,
            "amount": pl.Int64,
            "sales_count": pl.Int64,
            "sales_amount": pl.Int64,
            "refunds_count": pl.Int64,
            "refunds_amount": pl.Int64,
            "fees_amount": pl.Int64,
        }
    ),
]
RetailTicketLines = Annotated[
    polars_engine.List,
    pl.Struct(
        {
            "id": pl.String,
            "type": pl.String,
            "item_id": pl.String,
            "item_public_id": pl.String,
            "description": pl.String,
            "qty": pl.Decimal(18, 4),
            "original_unit_price": pl.Decimal(18, 2),
            "unit_price": pl.Decimal(18, 2),
            "adjusted_unit_price": pl.Decimal(18, 2),
            "value": pl.Decimal(18, 2),
            "unit_cost": pl.Decimal(18, 2),
            "gift_card_number_last4": pl.String,
        }
    ),
]
RetailTicketPayments = Annotated[
    polars_engine.List,
    pl.Struct(
        {
            "id": pl.String,
            "type": pl.String,
            "payment_type_id": pl.String,
            "description": pl.String,
            "amount": pl.Decimal(18, 2),
            "tip": pl.Decimal(18, 2),
            "gateway_transaction_id": pl.String,
        }
    ),
]
RETAIL_LINE_TYPES = ["ItemLine", "GiftCardLine"]


def _every(list_column: str, condition: pl.Expr) -> pl.Expr:
    """``condition`` (over ``pl.element()``) holds for every entry of a list column; an empty
    list holds vacuously, a NULL condition fails."""
    return pl.col(list_column).list.eval(condition.fill_null(False)).list.all()


def _field(name: str) -> pl.Expr:
    return pl.element().struct.field(name)


class RawEvent(pa.DataFrameModel):
    """Lineage every raw row keeps: the landed line it came from and when it arrived."""

    __unique_keys__ = (
        ("business_date", "event_id"),
        ("segment_path", "line_number"),
    )

    business_date: pl.Date
    segment_path: pl.String = pa.Field(str_length={"min_value": 1})
    line_number: pl.Int64 = pa.Field(ge=1)
    event_id: pl.String = pa.Field(str_length={"min_value": 1})
    event_type: pl.String = pa.Field(nullable=True)
    received_at: Instant

    @pa.dataframe_check
    def one_row_per_event(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A redelivered event (same event_id) is counted in ops.duplicate_events, never
        loaded twice."""
        return data.lazyframe.select(unique_together("business_date", "event_id"))

    @pa.dataframe_check
    def one_row_per_landed_line(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A landed line ends in exactly one place: (segment_path, line_number) is one row."""
        return data.lazyframe.select(unique_together("segment_path", "line_number"))

    class Config:
        strict = True
        coerce = False


class PaymentTransactions(RawEvent):
    """raw.payment_transactions: one GP-API transaction state per delivered event."""

    transaction_id: pl.String = pa.Field(str_startswith="TRN_")
    time_created: Instant
    time_last_updated: Instant = pa.Field(nullable=True)
    # Mapped through mappings/transaction_statuses.csv: an unknown status is a mapping issue.
    status: pl.String = pa.Field(str_length={"min_value": 1})
    type: pl.String = pa.Field(isin=TRANSACTION_TYPES)
    channel: pl.String = pa.Field(nullable=True)
    merchant_id: pl.String = pa.Field(str_startswith="MER_")
    merchant_name: pl.String = pa.Field(nullable=True)
    account_id: pl.String = pa.Field(nullable=True)
    site_reference: pl.String = pa.Field(nullable=True)
    amount: pl.Int64 = pa.Field(ge=0)
    gratuity_amount: pl.Int64 = pa.Field(ge=0)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    reference: pl.String = pa.Field(nullable=True)
    description: pl.String = pa.Field(nullable=True)
    batch_id: pl.String = pa.Field(nullable=True, str_startswith="BAT_")
    parent_resource_id: pl.String = pa.Field(nullable=True, str_startswith="TRN_")
    result_code: pl.String = pa.Field(nullable=True)
    result_message: pl.String = pa.Field(nullable=True)
    entry_mode: pl.String = pa.Field(nullable=True)
    payment_token: pl.String = pa.Field(nullable=True, str_startswith="PMT_")
    # Mapped through mappings/payment_methods.csv: an unknown brand is a mapping issue.
    card_brand: pl.String = pa.Field(nullable=True)
    masked_number_first6last4: pl.String = pa.Field(nullable=True, str_matches=MASKED_CARD_NUMBER)
    authcode: pl.String = pa.Field(nullable=True)
    brand_reference: pl.String = pa.Field(nullable=True)
    funding: pl.String = pa.Field(nullable=True)
    action_id: pl.String = pa.Field(nullable=True)
    action_type: pl.String = pa.Field(nullable=True)
    action_result_code: pl.String = pa.Field(nullable=True)

    @pa.dataframe_check
    def tip_is_part_of_amount(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The gratuity is included in the amount, so it can never exceed it."""
        return data.lazyframe.select(pl.col("gratuity_amount") <= pl.col("amount"))

    @pa.dataframe_check
    def captured_payments_carry_batch_id(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Captured payments carry a batch id: settlement reconciles them batch by batch."""
        return data.lazyframe.select(
            implies(
                pl.col("status").str.to_uppercase() == "CAPTURED", pl.col("batch_id").is_not_null()
            )
        )

    class Config:
        name = "raw.payment_transactions"


class PaymentNotifications(RawEvent):
    """raw.payment_notifications: one GP-API transaction state of a D365 order payment per
    delivered event, from the status_url endpoint or the poll (docs/orders.md)."""

    transaction_id: pl.String = pa.Field(str_startswith="TRN_")
    time_created: Instant
    time_last_updated: Instant = pa.Field(nullable=True)
    status: pl.String = pa.Field(str_length={"min_value": 1})
    type: pl.String = pa.Field(isin=TRANSACTION_TYPES)
    amount: pl.Int64 = pa.Field(ge=0)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    order_reference: pl.String = pa.Field(nullable=True)
    reference: pl.String = pa.Field(nullable=True)
    link_id: pl.String = pa.Field(nullable=True)
    parent_resource_id: pl.String = pa.Field(nullable=True, str_startswith="TRN_")
    result_code: pl.String = pa.Field(nullable=True)
    result_message: pl.String = pa.Field(nullable=True)
    action_result_code: pl.String = pa.Field(nullable=True)

    @pa.dataframe_check
    def events_name_their_source(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Each state says who told us: the status_url notification or the poll."""
        return data.lazyframe.select(
            pl.col("event_type").is_in(["payment.notified", "payment.polled"])
        )

    class Config:
        name = "raw.payment_notifications"


class SettlementBatches(RawEvent):
    """raw.settlement_batches: one closed settlement batch per delivered event."""

    batch_id: pl.String = pa.Field(str_startswith="BAT_")
    status: pl.String = pa.Field(isin=BATCH_STATUSES)
    time_created: Instant = pa.Field(nullable=True)
    time_closed: Instant = pa.Field(nullable=True)
    merchant_id: pl.String = pa.Field(str_startswith="MER_")
    merchant_name: pl.String = pa.Field(nullable=True)
    site_reference: pl.String = pa.Field(nullable=True)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    amount: pl.Int64 = pa.Field()  # net: negative on a day with more refunds than sales
    transaction_count: pl.Int64 = pa.Field(ge=0)
    sales_count: pl.Int64 = pa.Field(ge=0)
    sales_amount: pl.Int64 = pa.Field(ge=0)
    refunds_count: pl.Int64 = pa.Field(ge=0)
    refunds_amount: pl.Int64 = pa.Field(ge=0)
    gratuity_amount: pl.Int64 = pa.Field(ge=0)
    brand_breakdown: BrandBreakdown
    deposit_id: pl.String = pa.Field(nullable=True, str_startswith="DEP_")
    deposit_date: pl.Date = pa.Field(nullable=True)
    deposit_status: pl.String = pa.Field(nullable=True)
    deposit_amount: pl.Int64 = pa.Field(nullable=True)  # net of fees, may be negative
    fees_amount: pl.Int64 = pa.Field(ge=0)

    @pa.dataframe_check
    def net_is_sales_minus_refunds(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The batch amount is net: sales minus refunds."""
        return data.lazyframe.select(
            pl.col("amount") == pl.col("sales_amount") - pl.col("refunds_amount")
        )

    @pa.dataframe_check
    def count_is_sales_plus_refunds(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The batch counts every sale and every refund it settled."""
        return data.lazyframe.select(
            pl.col("transaction_count") == pl.col("sales_count") + pl.col("refunds_count")
        )

    @pa.dataframe_check
    def brand_breakdown_covers_the_batch(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A batch that settled transactions breaks them down by card brand, each entry naming
        its brand with non-negative counts and gross amounts (fee reconciliation reads it); the
        brand's net amount may be negative like the batch's."""
        entry_ok = _field("brand").is_not_null() & pl.all_horizontal(
            _field(name) >= 0
            for name in (
                "count",
                "sales_count",
                "sales_amount",
                "refunds_count",
                "refunds_amount",
                "fees_amount",
            )
        )
        return data.lazyframe.select(
            implies(pl.col("transaction_count") > 0, pl.col("brand_breakdown").list.len() > 0)
            & _every("brand_breakdown", entry_ok)
        )

    class Config:
        name = "raw.settlement_batches"


class RetailTickets(RawEvent):
    """raw.retail_tickets: one Heartland Retail ticket version per delivered event, lines and
    payments nested as served (docs/heartland_retail.md). Money is exact DECIMAL in major units
    and signed as Retail sends it: a return's quantities, values, total and payments are negative.

    Whether the lines and tax add up to the total is not pinned here: a ticket that does not is
    loaded and flagged ``ticket_total_mismatch`` in canonical.pos_sales, so the day goes on."""

    ticket_id: pl.String = pa.Field(str_length={"min_value": 1})
    public_id: pl.String = pa.Field(nullable=True)
    # Mapped through mappings/transaction_statuses.csv (retail_ticket_status).
    status: pl.String = pa.Field(str_length={"min_value": 1})
    station_id: pl.String = pa.Field(nullable=True)
    source_location_id: pl.String = pa.Field(str_length={"min_value": 1})
    customer_id: pl.String = pa.Field(nullable=True)
    customer_name: pl.String = pa.Field(nullable=True)
    sales_rep: pl.String = pa.Field(nullable=True)
    created_at: Instant
    completed_at: Instant = pa.Field(nullable=True)
    updated_at: Instant
    subtotal: Money = pa.Field(nullable=True)
    tax_total: Money
    total: Money
    total_paid: Money = pa.Field(nullable=True)
    balance: Money = pa.Field(nullable=True)
    note: pl.String = pa.Field(nullable=True)
    lines: RetailTicketLines
    payments: RetailTicketPayments

    @pa.dataframe_check
    def ticket_has_lines(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A ticket sells or returns at least one line, each an ItemLine or a GiftCardLine (the
        canonical layer branches on the two), and its line ids are distinct."""
        line_ids = pl.col("lines").list.eval(_field("id"))
        return data.lazyframe.select(
            (pl.col("lines").list.len() > 0)
            & (line_ids.list.drop_nulls().list.n_unique() == pl.col("lines").list.len())
            & _every("lines", _field("type").is_in(RETAIL_LINE_TYPES))
        )

    @pa.dataframe_check
    def line_values_add_up(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A line's value is its quantity × adjusted unit price, to the cent (Retail computes it
        so; the canonical discount is the list price's gross less this value)."""
        value = (_field("qty") * _field("adjusted_unit_price")).round(2)
        return data.lazyframe.select(
            _every(
                "lines",
                _field("adjusted_unit_price").is_null() | (value == _field("value")),
            )
        )

    @pa.dataframe_check
    def ticket_total_adds_up(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Retail's own header arithmetic: total = subtotal + tax_total, and balance = total −
        total_paid (each where Retail sent the parts)."""
        return data.lazyframe.select(
            implies(
                pl.col("subtotal").is_not_null(),
                pl.col("total") == pl.col("subtotal") + pl.col("tax_total"),
            )
            & implies(
                pl.col("balance").is_not_null() & pl.col("total_paid").is_not_null(),
                pl.col("balance") == pl.col("total") - pl.col("total_paid"),
            )
        )

    @pa.dataframe_check
    def gift_cards_keep_only_last_four(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """No card digits beyond a gift card's last four: Retail payments carry none at all
        (the card brand comes from the payment type, the card itself stays at the gateway), and a
        gift card line keeps only ``gift_card_number_last4``."""
        return data.lazyframe.select(
            _every(
                "lines",
                _field("gift_card_number_last4").is_null()
                | _field("gift_card_number_last4").str.contains(CARD_LAST4),
            )
        )

    class Config:
        name = "raw.retail_tickets"


PAYROLL_ITEM_CLASSES = [
    "EARNING",
    "EE_TAX",
    "ER_TAX",
    "EE_DEDUCTION",
    "ER_BENEFIT",
    "NET_PAY",
    "RUN_TOTAL",
]
PAYROLL_CHECK_TYPES = ["regular", "additional", "manual", "void"]
Hours = Annotated[polars_engine.Decimal, 18, 4]


class DroppedFileLine(RawEvent):
    """Lineage of a line landed from a dropped file: which file (by content) and which row."""

    __unique_keys__ = (("file_sha256", "file_row"),)

    file_sha256: pl.String = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    file_name: pl.String = pa.Field(str_length={"min_value": 1})
    file_row: pl.Int64 = pa.Field(ge=1)

    @pa.dataframe_check
    def one_row_per_file_row(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A file's row lands once: the same bytes dropped again are never landed twice."""
        return data.lazyframe.select(unique_together("file_sha256", "file_row"))


class PayrollRegister(DroppedFileLine):
    """raw.payroll_register: one register line (employee × pay item) per landed file row
    (docs/payroll-intake.md). Amounts are exact and positive; the GL mapping signs them."""

    client_id: pl.String = pa.Field(str_length={"min_value": 1})
    pay_group: pl.String = pa.Field(str_length={"min_value": 1})
    payroll_run_id: pl.String = pa.Field(str_length={"min_value": 1})
    period_begin: pl.Date = pa.Field(nullable=True)
    period_end: pl.Date = pa.Field(nullable=True)
    check_date: pl.Date
    check_number: pl.String = pa.Field(nullable=True)
    check_type: pl.String = pa.Field(isin=PAYROLL_CHECK_TYPES)
    voided_check_number: pl.String = pa.Field(nullable=True)
    employee_number: pl.String = pa.Field(nullable=True)
    division: pl.String = pa.Field(nullable=True)
    department_code: pl.String = pa.Field(nullable=True)
    job_code: pl.String = pa.Field(nullable=True)
    location_code: pl.String = pa.Field(nullable=True)
    item_class: pl.String = pa.Field(isin=PAYROLL_ITEM_CLASSES)
    item_code: pl.String = pa.Field(str_length={"min_value": 1})
    item_description: pl.String = pa.Field(nullable=True)
    hours: Hours = pa.Field(nullable=True, ge=0)
    amount: Money = pa.Field(ge=0)
    bank_account_fingerprint: pl.String = pa.Field(nullable=True, str_matches=r"^fp[0-9a-f]{16}$")

    @pa.dataframe_check
    def lines_land_under_their_check_date(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A register line belongs to the business day of its check date (the journal's date)."""
        return data.lazyframe.select(pl.col("check_date") == pl.col("business_date"))

    @pa.dataframe_check
    def employee_lines_name_the_employee(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every line but the register's own run totals names its employee."""
        return data.lazyframe.select(
            implies(pl.col("item_class") != "RUN_TOTAL", pl.col("employee_number").is_not_null())
        )

    @pa.dataframe_check
    def voids_name_the_voided_check(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A void line names the check it reverses (canonical makes its amounts negative)."""
        return data.lazyframe.select(
            implies(pl.col("check_type") == "void", pl.col("voided_check_number").is_not_null())
        )

    class Config:
        name = "raw.payroll_register"


class BankStatementLines(DroppedFileLine):
    """raw.bank_statement_lines: one bank statement line per landed file row; only the last
    four digits of the account number."""

    account_last4: pl.String = pa.Field(nullable=True, str_matches=r"^[0-9]{4}$")
    booking_date: pl.Date
    value_date: pl.Date = pa.Field(nullable=True)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    amount: Money
    bank_reference: pl.String = pa.Field(nullable=True)
    description: pl.String = pa.Field(nullable=True)

    @pa.dataframe_check
    def lines_land_under_their_booking_date(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A statement line belongs to the business day the bank booked it."""
        return data.lazyframe.select(pl.col("booking_date") == pl.col("business_date"))

    class Config:
        name = "raw.bank_statement_lines"
