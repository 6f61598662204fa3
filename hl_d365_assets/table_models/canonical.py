"""Contracts of the canonical tables: typed, signed, mapped rows the ledger is built from.

Money is exact ``Decimal(18, 2)`` and signed: refunds and returns are negative. Mapped columns
(store, status, payment method, tax code, base amounts) may be NULL only on a row whose
``mapping_issue`` says why; the ``mappings_complete`` check names those values, these models make
sure no row is silently half-mapped.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from hl_d365_assets.table_models import (
    BATCH_STATUSES,
    CARD_FIRST6,
    CARD_LAST4,
    CURRENCY_CODE,
    TICKET_TYPES,
    TRANSACTION_TYPES,
    Instant,
    LocalTime,
    Money,
    Rate,
    implies,
    mapped_or_explained,
    present_when_clean,
    signed_by,
    unique_together,
)


class CanonicalTable(pa.DataFrameModel):
    """Every canonical row belongs to a business day and may carry a mapping issue."""

    business_date: pl.Date
    mapping_issue: pl.String = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = False


class SourceLineage(CanonicalTable):
    """Rows built from one raw event name it, so every number traces back to a landed line."""

    source_event_id: pl.String = pa.Field(str_length={"min_value": 1})
    source_segment_path: pl.String = pa.Field(str_length={"min_value": 1})
    source_line_number: pl.Int64 = pa.Field(ge=1)


class Payments(SourceLineage):
    """canonical.payments: one row per gateway transaction in its latest state."""

    __unique_keys__ = (("business_date", "transaction_id"),)

    transaction_id: pl.String = pa.Field(str_startswith="TRN_")
    store_id: pl.String = pa.Field(nullable=True)
    legal_entity: pl.String = pa.Field(nullable=True)
    merchant_id: pl.String = pa.Field(str_startswith="MER_")
    transaction_type: pl.String = pa.Field(isin=TRANSACTION_TYPES)
    gateway_status: pl.String = pa.Field(str_length={"min_value": 1})
    status_code: pl.String = pa.Field(nullable=True)
    is_financial: pl.Boolean = pa.Field(nullable=True)
    payment_method_code: pl.String = pa.Field(nullable=True)
    card_brand: pl.String = pa.Field(nullable=True)
    card_first6: pl.String = pa.Field(nullable=True, str_matches=CARD_FIRST6)
    card_last4: pl.String = pa.Field(nullable=True, str_matches=CARD_LAST4)
    payment_token: pl.String = pa.Field(nullable=True, str_startswith="PMT_")
    authcode: pl.String = pa.Field(nullable=True)
    entry_mode: pl.String = pa.Field(nullable=True)
    batch_id: pl.String = pa.Field(nullable=True, str_startswith="BAT_")
    parent_transaction_id: pl.String = pa.Field(nullable=True, str_startswith="TRN_")
    reference: pl.String = pa.Field(nullable=True)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    amount: Money = pa.Field(nullable=True)
    tip_amount: Money = pa.Field(nullable=True)
    base_currency: pl.String = pa.Field(nullable=True, str_matches=CURRENCY_CODE)
    fx_rate: Rate = pa.Field(nullable=True, gt=0)
    base_amount: Money = pa.Field(nullable=True)
    time_created: Instant
    local_time: LocalTime = pa.Field(nullable=True)
    last_received_at: Instant
    is_late: pl.Boolean
    event_count: pl.Int64 = pa.Field(ge=1)

    @pa.dataframe_check
    def refunds_are_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Refunds are negative and sales positive (amount and tip), so a day sums to net."""
        return data.lazyframe.select(
            signed_by(pl.col("transaction_type") == "REFUND", "amount", "tip_amount")
        )

    @pa.dataframe_check
    def tip_is_part_of_amount(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The tip is included in the amount, so it can never exceed it."""
        return data.lazyframe.select(
            implies(
                pl.col("tip_amount").is_not_null(),
                pl.col("tip_amount").abs() <= pl.col("amount").abs(),
            )
        )

    @pa.dataframe_check
    def captured_payments_carry_batch_id(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Captured payments carry a batch id: settlement reconciles them batch by batch."""
        return data.lazyframe.select(
            implies(
                pl.col("gateway_status").str.to_uppercase() == "CAPTURED",
                pl.col("batch_id").is_not_null(),
            )
        )

    @pa.dataframe_check
    def base_amount_present_when_clean(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A payment without mapping issue has its amount in base currency, ready to journal."""
        return data.lazyframe.select(
            present_when_clean(
                "store_id", "legal_entity", "base_currency", "fx_rate", "base_amount"
            )
        )

    @pa.dataframe_check
    def payment_method_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A payment has a D365 payment method unless mapping_issue says it is unmapped."""
        return data.lazyframe.select(
            mapped_or_explained("payment_method_code", "unmapped_payment_method")
        )

    @pa.dataframe_check
    def status_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A payment has a D365 status unless mapping_issue says its gateway status is unmapped."""
        return data.lazyframe.select(
            mapped_or_explained("status_code", "unmapped_status")
            & implies(pl.col("status_code").is_not_null(), pl.col("is_financial").is_not_null())
        )

    @pa.dataframe_check
    def one_row_per_transaction(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per transaction and business day: the transaction in its latest state."""
        return data.lazyframe.select(unique_together("business_date", "transaction_id"))

    class Config:
        name = "canonical.payments"


class SettlementBatches(SourceLineage):
    """canonical.settlement_batches: what Heartland settled, paid out and charged, per batch."""

    __unique_keys__ = (("business_date", "batch_id"),)

    batch_id: pl.String = pa.Field(str_startswith="BAT_")
    store_id: pl.String = pa.Field(nullable=True)
    legal_entity: pl.String = pa.Field(nullable=True)
    merchant_id: pl.String = pa.Field(str_startswith="MER_")
    batch_status: pl.String = pa.Field(isin=BATCH_STATUSES)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    transaction_count: pl.Int64 = pa.Field(ge=0)
    sales_count: pl.Int64 = pa.Field(ge=0)
    sales_amount: Money = pa.Field(nullable=True, ge=0)
    refunds_count: pl.Int64 = pa.Field(ge=0)
    refunds_amount: Money = pa.Field(nullable=True, ge=0)
    net_amount: Money = pa.Field(nullable=True)
    tip_amount: Money = pa.Field(nullable=True, ge=0)
    fees_amount: Money = pa.Field(nullable=True, ge=0)
    deposit_id: pl.String = pa.Field(nullable=True, str_startswith="DEP_")
    deposit_date: pl.Date = pa.Field(nullable=True)
    deposit_amount: Money = pa.Field(nullable=True)
    base_currency: pl.String = pa.Field(nullable=True, str_matches=CURRENCY_CODE)
    fx_rate: Rate = pa.Field(nullable=True, gt=0)
    base_net_amount: Money = pa.Field(nullable=True)
    base_fees_amount: Money = pa.Field(nullable=True)
    base_deposit_amount: Money = pa.Field(nullable=True)
    time_closed: Instant = pa.Field(nullable=True)

    @pa.dataframe_check(raise_warning=True)
    def deposit_is_net_minus_fees(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The deposit pays out the net amount less the fees withheld, to the cent. Warns
        rather than blocks: a batch whose report disagrees with its deposit is a
        reconciliation exception, and recon must still be built to record it."""
        return data.lazyframe.select(
            implies(
                pl.col("deposit_amount").is_not_null(),
                pl.col("deposit_amount") == pl.col("net_amount") - pl.col("fees_amount"),
            )
        )

    @pa.dataframe_check
    def net_is_sales_minus_refunds(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The batch's net amount is its sales minus its refunds."""
        return data.lazyframe.select(
            implies(
                pl.col("net_amount").is_not_null(),
                pl.col("net_amount") == pl.col("sales_amount") - pl.col("refunds_amount"),
            )
        )

    @pa.dataframe_check
    def count_is_sales_plus_refunds(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The batch counts every sale and every refund it settled."""
        return data.lazyframe.select(
            pl.col("transaction_count") == pl.col("sales_count") + pl.col("refunds_count")
        )

    @pa.dataframe_check
    def base_amounts_present_when_clean(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A batch without mapping issue has net, fees and deposit in base currency."""
        return data.lazyframe.select(
            present_when_clean(
                "store_id", "legal_entity", "base_currency", "fx_rate", "base_net_amount"
            )
            & implies(
                pl.col("mapping_issue").is_null() & pl.col("fees_amount").is_not_null(),
                pl.col("base_fees_amount").is_not_null(),
            )
            & implies(
                pl.col("mapping_issue").is_null() & pl.col("deposit_amount").is_not_null(),
                pl.col("base_deposit_amount").is_not_null(),
            )
        )

    @pa.dataframe_check
    def one_row_per_batch(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per settlement batch and business day: a redelivered batch supersedes, never doubles."""
        return data.lazyframe.select(unique_together("business_date", "batch_id"))

    class Config:
        name = "canonical.settlement_batches"


class SettlementFees(CanonicalTable):
    """canonical.settlement_fees: volume and fees per batch and card brand."""

    __unique_keys__ = (("business_date", "batch_id", "card_brand"),)

    batch_id: pl.String = pa.Field(str_startswith="BAT_")
    store_id: pl.String = pa.Field(nullable=True)
    card_brand: pl.String = pa.Field(str_length={"min_value": 1})
    payment_method_code: pl.String = pa.Field(nullable=True)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    transaction_count: pl.Int64 = pa.Field(nullable=True, ge=0)
    sales_amount: Money = pa.Field(nullable=True, ge=0)
    refunds_amount: Money = pa.Field(nullable=True, ge=0)
    net_amount: Money = pa.Field(nullable=True)
    fees_amount: Money = pa.Field(nullable=True, ge=0)
    base_fees_amount: Money = pa.Field(nullable=True)

    @pa.dataframe_check
    def payment_method_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Fees book to a D365 payment method unless mapping_issue says the brand is unmapped."""
        return data.lazyframe.select(
            mapped_or_explained("payment_method_code", "unmapped_payment_method")
        )

    @pa.dataframe_check
    def base_fees_present_when_clean(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Fees without mapping issue are in base currency, ready for the fee expense line."""
        return data.lazyframe.select(
            implies(
                pl.col("mapping_issue").is_null() & pl.col("fees_amount").is_not_null(),
                pl.col("base_fees_amount").is_not_null(),
            )
        )

    @pa.dataframe_check
    def one_row_per_batch_and_brand(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One fee row per batch and card brand, so fees are booked once."""
        return data.lazyframe.select(unique_together("business_date", "batch_id", "card_brand"))

    class Config:
        name = "canonical.settlement_fees"


class PosSales(SourceLineage):
    """canonical.pos_sales: one row per POS ticket in its latest version."""

    __unique_keys__ = (("business_date", "ticket_id"),)

    ticket_id: pl.String = pa.Field(str_length={"min_value": 1})
    store_id: pl.String = pa.Field(str_length={"min_value": 1})
    legal_entity: pl.String = pa.Field(nullable=True)
    register_id: pl.String = pa.Field(nullable=True)
    cashier_id: pl.String = pa.Field(nullable=True)
    ticket_type: pl.String = pa.Field(isin=TICKET_TYPES)
    ticket_status: pl.String = pa.Field(str_length={"min_value": 1})
    status_code: pl.String = pa.Field(nullable=True)
    is_financial: pl.Boolean = pa.Field(nullable=True)
    original_ticket_id: pl.String = pa.Field(nullable=True)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    subtotal: Money = pa.Field(nullable=True)
    discount_total: Money = pa.Field(nullable=True)
    tax_total: Money = pa.Field(nullable=True)
    total: Money = pa.Field(nullable=True)
    tendered_total: Money = pa.Field(nullable=True)
    tip_total: Money = pa.Field(nullable=True)
    line_count: pl.Int64 = pa.Field(ge=1)
    tender_count: pl.Int64 = pa.Field(ge=0)
    base_currency: pl.String = pa.Field(nullable=True, str_matches=CURRENCY_CODE)
    fx_rate: Rate = pa.Field(nullable=True, gt=0)
    base_total: Money = pa.Field(nullable=True)
    opened_at: Instant = pa.Field(nullable=True)
    closed_at: Instant
    local_closed_at: LocalTime = pa.Field(nullable=True)
    received_at: Instant
    is_late: pl.Boolean
    superseded_versions: pl.Int64 = pa.Field(nullable=True, ge=0)

    @pa.dataframe_check
    def returns_are_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Returns carry negative amounts and sales positive ones, so a day sums to net sales."""
        return data.lazyframe.select(
            signed_by(
                pl.col("ticket_type") == "RETURN",
                "subtotal",
                "discount_total",
                "tax_total",
                "total",
                "tendered_total",
                "tip_total",
            )
        )

    @pa.dataframe_check
    def ticket_total_adds_up(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The ticket total is subtotal − discount total + tax total, to the cent."""
        return data.lazyframe.select(
            implies(
                pl.col("total").is_not_null(),
                pl.col("total")
                == pl.col("subtotal") - pl.col("discount_total") + pl.col("tax_total"),
            )
        )

    @pa.dataframe_check
    def base_total_present_when_clean(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A ticket without mapping issue has its total in base currency, ready to journal."""
        return data.lazyframe.select(
            present_when_clean("legal_entity", "base_currency", "fx_rate", "base_total")
        )

    @pa.dataframe_check
    def status_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A ticket has a D365 status unless mapping_issue says its ticket status is unmapped."""
        return data.lazyframe.select(
            mapped_or_explained("status_code", "unmapped_status")
            & implies(pl.col("status_code").is_not_null(), pl.col("is_financial").is_not_null())
        )

    @pa.dataframe_check
    def one_row_per_ticket(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per ticket and business day: the ticket in its latest version."""
        return data.lazyframe.select(unique_together("business_date", "ticket_id"))

    class Config:
        name = "canonical.pos_sales"


class PosSaleLines(CanonicalTable):
    """canonical.pos_sale_lines: ticket lines, signed like their ticket."""

    __unique_keys__ = (("business_date", "ticket_id", "line_number"),)

    ticket_id: pl.String = pa.Field(str_length={"min_value": 1})
    line_number: pl.Int64 = pa.Field(ge=1)
    store_id: pl.String = pa.Field(str_length={"min_value": 1})
    ticket_type: pl.String = pa.Field(isin=TICKET_TYPES)
    is_financial: pl.Boolean = pa.Field(nullable=True)
    line_type: pl.String = pa.Field(nullable=True, isin=["ITEM", "GIFT_CARD"])
    sku: pl.String = pa.Field(nullable=True)
    description: pl.String = pa.Field(nullable=True)
    quantity: pl.Int64 = pa.Field(ne=0)
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    unit_price: Money = pa.Field(nullable=True, ge=0)
    discount_amount: Money = pa.Field(nullable=True)
    # Mapped through mappings/tax_codes.csv: an unknown tax code is a mapping issue.
    tax_code: pl.String = pa.Field(nullable=True)
    d365_sales_tax_code: pl.String = pa.Field(nullable=True)
    tax_amount: Money = pa.Field(nullable=True)
    unit_cost: Money = pa.Field(nullable=True, ge=0)
    line_total: Money = pa.Field(nullable=True)
    cost_total: Money = pa.Field(nullable=True)
    base_line_total: Money = pa.Field(nullable=True)
    base_cost_total: Money = pa.Field(nullable=True)

    @pa.dataframe_check
    def returns_are_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Return lines carry negative quantity, discount, tax and totals; unit price and unit
        cost stay positive."""
        return data.lazyframe.select(
            signed_by(
                pl.col("ticket_type") == "RETURN",
                "quantity",
                "discount_amount",
                "tax_amount",
                "line_total",
                "cost_total",
            )
        )

    @pa.dataframe_check
    def line_total_adds_up(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The line total is quantity × unit price − discount + tax, exact to the cent."""
        return data.lazyframe.select(
            implies(
                pl.col("line_total").is_not_null(),
                pl.col("line_total")
                == pl.col("quantity") * pl.col("unit_price")
                - pl.col("discount_amount")
                + pl.col("tax_amount"),
            )
        )

    @pa.dataframe_check
    def cost_total_adds_up(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The cost of goods is quantity × unit cost, exact to the cent."""
        return data.lazyframe.select(
            implies(
                pl.col("cost_total").is_not_null(),
                pl.col("cost_total") == pl.col("quantity") * pl.col("unit_cost"),
            )
        )

    @pa.dataframe_check
    def base_totals_present_when_clean(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A line without mapping issue has its totals in base currency, ready to journal."""
        return data.lazyframe.select(present_when_clean("base_line_total", "base_cost_total"))

    @pa.dataframe_check
    def tax_code_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A line has a D365 sales tax code unless mapping_issue says its tax code is unmapped."""
        return data.lazyframe.select(
            mapped_or_explained("d365_sales_tax_code", "unmapped_tax_code")
        )

    @pa.dataframe_check
    def one_row_per_ticket_line(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per ticket line: (ticket_id, line_number) identifies a line within its day."""
        return data.lazyframe.select(unique_together("business_date", "ticket_id", "line_number"))

    class Config:
        name = "canonical.pos_sale_lines"


class PosTenders(CanonicalTable):
    """canonical.pos_tenders: how each ticket was paid."""

    __unique_keys__ = (("business_date", "tender_id"),)

    ticket_id: pl.String = pa.Field(str_length={"min_value": 1})
    tender_id: pl.String = pa.Field(str_length={"min_value": 1})
    store_id: pl.String = pa.Field(str_length={"min_value": 1})
    ticket_type: pl.String = pa.Field(isin=TICKET_TYPES)
    is_financial: pl.Boolean = pa.Field(nullable=True)
    # As the POS sends it, mapped through mappings/payment_methods.csv: no isin here, an unknown
    # tender type must load and be flagged (unmapped_payment_type).
    tender_type: pl.String = pa.Field(nullable=True)
    payment_method_code: pl.String = pa.Field(nullable=True)
    card_brand: pl.String = pa.Field(nullable=True)
    card_first6: pl.String = pa.Field(nullable=True, str_matches=CARD_FIRST6)
    card_last4: pl.String = pa.Field(nullable=True, str_matches=CARD_LAST4)
    gift_card_last4: pl.String = pa.Field(nullable=True, str_matches=CARD_LAST4)
    gateway_transaction_id: pl.String = pa.Field(nullable=True, str_startswith="TRN_")
    currency: pl.String = pa.Field(str_matches=CURRENCY_CODE)
    amount: Money = pa.Field(nullable=True)
    tip_amount: Money = pa.Field(nullable=True)
    base_amount: Money = pa.Field(nullable=True)
    local_closed_at: LocalTime = pa.Field(nullable=True)

    @pa.dataframe_check
    def returns_are_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Tenders of returns pay money back: negative amount and tip; sales positive."""
        return data.lazyframe.select(
            signed_by(pl.col("ticket_type") == "RETURN", "amount", "tip_amount")
        )

    @pa.dataframe_check
    def base_amount_present_when_clean(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A tender without mapping issue has its amount in base currency, ready to journal."""
        return data.lazyframe.select(present_when_clean("base_amount"))

    @pa.dataframe_check
    def payment_method_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A tender has a D365 payment method unless mapping_issue says its tender type or card
        brand is unmapped."""
        return data.lazyframe.select(mapped_or_explained("payment_method_code", "unmapped_payment"))

    @pa.dataframe_check
    def one_row_per_tender(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per tender and business day: a tender id is the gateway's merchant reference."""
        return data.lazyframe.select(unique_together("business_date", "tender_id"))

    class Config:
        name = "canonical.pos_tenders"


ORDER_PAYMENT_STATES = [
    "awaiting_payment",
    "authorised",
    "paid",
    "declined",
    "failed",
    "cancelled",
    "expired",
    "refunded",
    "voided",
]


class OrderPayments(CanonicalTable):
    """canonical.order_payments: every transition of each D365 order's Heartland payment."""

    legal_entity: pl.String = pa.Field(nullable=True)
    sales_order_number: pl.String = pa.Field(nullable=True)
    order_known: pl.Boolean
    state: pl.String = pa.Field(isin=ORDER_PAYMENT_STATES)
    gp_status: pl.String = pa.Field(nullable=True)
    transaction_type: pl.String = pa.Field(nullable=True, isin=TRANSACTION_TYPES)
    amount: Money = pa.Field(nullable=True)
    currency: pl.String = pa.Field(nullable=True, str_matches=CURRENCY_CODE)
    order_total: Money = pa.Field(nullable=True)
    transaction_id: pl.String = pa.Field(nullable=True, str_startswith="TRN_")
    link_id: pl.String = pa.Field(nullable=True)
    request_id: pl.String = pa.Field(nullable=True)
    event_time: Instant
    sequence: pl.Int64 = pa.Field(ge=1)
    source_event: pl.String = pa.Field(isin=["notification", "poll", "request", "gateway"])
    source_event_id: pl.String = pa.Field(str_length={"min_value": 1})
    source_segment_path: pl.String = pa.Field(nullable=True)
    source_line_number: pl.Int64 = pa.Field(nullable=True, ge=1)

    @pa.dataframe_check
    def unknown_orders_say_why(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A payment for an order D365 does not hold carries its unknown_order issue: it is an
        exception, never posted."""
        return data.lazyframe.select(
            pl.col("order_known") | pl.col("mapping_issue").str.starts_with("unknown_order")
        )

    @pa.dataframe_check
    def refunds_are_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A refund takes money back: its amount is negative."""
        return data.lazyframe.select(implies(pl.col("state") == "refunded", pl.col("amount") < 0))

    @pa.dataframe_check
    def gp_transitions_name_their_transaction(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """What GP reported (notification, poll, gateway) names the GP transaction; what we
        asked (request, expiry) names the request."""
        return data.lazyframe.select(
            pl.when(pl.col("source_event") == "request")
            .then(pl.col("request_id").is_not_null())
            .otherwise(pl.col("transaction_id").is_not_null())
        )

    class Config:
        name = "canonical.order_payments"
