"""Contracts of the canonical payroll tables (issue 17): pay runs, their items, and the items
charged to departments. The journals are built from these rows, so they block the day.

Unlike the card and POS tables, payroll items and allocations carry no ``mapping_issue`` of their
own: what keeps a pay run from the ledger (an unmapped client, an invalid allocation version) is
said once, on the run, in canonical.payroll_runs.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine

from hl_d365_assets.table_models import (
    CURRENCY_CODE,
    Instant,
    Money,
    Rate,
    mapped_or_explained,
    signed_by,
    unique_together,
)

Hours = Annotated[polars_engine.Decimal, 18, 4]
ITEM_CLASSES = ["EARNING", "EE_TAX", "ER_TAX", "EE_DEDUCTION", "ER_BENEFIT", "NET_PAY"]
"""The register's item classes (RUN_TOTAL lines are totals, not items): the GL maps by them."""
CHECK_TYPES = ["regular", "additional", "manual", "void"]
"""The SQL negates 'void' checks' lines."""
ALLOCATION_BASES = ["register_department", "allocation_file", "hours"]


class PayrollTable(pa.DataFrameModel):
    """Every payroll row belongs to a check date (its business day) and a pay run."""

    business_date: pl.Date
    run_key: pl.String = pa.Field(str_length={"min_value": 1})
    legal_entity: pl.String = pa.Field(nullable=True)
    currency: pl.String = pa.Field(nullable=True, str_matches=CURRENCY_CODE)

    class Config:
        strict = True
        coerce = False


class PayrollRuns(PayrollTable):
    """canonical.payroll_runs: one row per pay run, in the version of its newest file."""

    __unique_keys__ = (("business_date", "run_key"),)

    client_id: pl.String = pa.Field(str_length={"min_value": 1})
    pay_group: pl.String = pa.Field(str_length={"min_value": 1})
    payroll_run_id: pl.String = pa.Field(str_length={"min_value": 1})
    period_begin: pl.Date = pa.Field(nullable=True)
    period_end: pl.Date = pa.Field(nullable=True)
    check_date: pl.Date
    file_sha256: pl.String = pa.Field(str_length={"min_value": 1})
    file_name: pl.String = pa.Field(str_length={"min_value": 1})
    file_received_at: Instant
    files_received: pl.Int32 = pa.Field(ge=1)
    employees: pl.Int32 = pa.Field(ge=0)
    item_rows: pl.Int32 = pa.Field(ge=0)
    void_rows: pl.Int32 = pa.Field(ge=0)
    gross_amount: Money
    ee_tax_amount: Money
    er_tax_amount: Money
    ee_deduction_amount: Money
    er_benefit_amount: Money
    net_pay_amount: Money
    register_gross: Money = pa.Field(nullable=True)
    register_ee_tax: Money = pa.Field(nullable=True)
    register_er_tax: Money = pa.Field(nullable=True)
    register_ee_deduction: Money = pa.Field(nullable=True)
    register_er_benefit: Money = pa.Field(nullable=True)
    register_net_pay: Money = pa.Field(nullable=True)
    mapping_issue: pl.String = pa.Field(nullable=True)

    @pa.dataframe_check
    def one_row_per_run(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per pay run and check date: a corrected file replaces the run, never doubles it."""
        return data.lazyframe.select(unique_together("business_date", "run_key"))

    @pa.dataframe_check
    def legal_entity_mapped_or_explained(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A run has a D365 legal entity and currency unless mapping_issue says its client is
        unmapped."""
        return data.lazyframe.select(
            mapped_or_explained("legal_entity", "unmapped_payroll_client")
            & mapped_or_explained("currency", "unmapped_payroll_client")
        )

    @pa.dataframe_check
    def voids_within_items(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Void lines are some of the run's item lines."""
        return data.lazyframe.select(pl.col("void_rows") <= pl.col("item_rows"))

    class Config:
        name = "canonical.payroll_runs"


class PayrollItems(PayrollTable):
    """canonical.payroll_items: the register's item lines of each run's current file."""

    __unique_keys__ = (("event_id",),)

    check_date: pl.Date
    check_number: pl.String = pa.Field(nullable=True)
    check_type: pl.String = pa.Field(isin=CHECK_TYPES)
    voided_check_number: pl.String = pa.Field(nullable=True)
    employee_number: pl.String
    division: pl.String = pa.Field(nullable=True)
    department_code: pl.String = pa.Field(nullable=True)
    job_code: pl.String = pa.Field(nullable=True)
    location_code: pl.String = pa.Field(nullable=True)
    item_class: pl.String = pa.Field(isin=ITEM_CLASSES)
    item_code: pl.String = pa.Field(str_length={"min_value": 1})
    item_description: pl.String = pa.Field(nullable=True)
    hours: Hours = pa.Field(nullable=True)
    amount: Money
    event_id: pl.String = pa.Field(str_length={"min_value": 1})
    file_sha256: pl.String = pa.Field(str_length={"min_value": 1})
    file_row: pl.Int64 = pa.Field(ge=1)
    segment_path: pl.String = pa.Field(str_length={"min_value": 1})
    line_number: pl.Int64 = pa.Field(ge=1)
    bank_account_fingerprint: pl.String = pa.Field(nullable=True, str_matches=r"^fp[0-9a-f]{16}$")

    @pa.dataframe_check(raise_warning=True)
    def voids_are_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A void check's lines are negative (amount and hours) and the others positive, so a
        void nets its check to zero. Warns: a register that prints a negative adjustment is for
        finance to read, not a reason to stop the day."""
        return data.lazyframe.select(signed_by(pl.col("check_type") == "void", "amount", "hours"))

    @pa.dataframe_check
    def one_row_per_landed_line(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Each landed register line is one item: a corrected file's lines replace, never add."""
        return data.lazyframe.select(unique_together("event_id"))

    class Config:
        name = "canonical.payroll_items"


class PayrollAllocations(PayrollTable):
    """canonical.payroll_allocations: each item's parts per department."""

    __grouped_by__ = (("event_id",),)

    event_id: pl.String = pa.Field(str_length={"min_value": 1})
    employee_number: pl.String
    item_class: pl.String = pa.Field(isin=ITEM_CLASSES)
    item_code: pl.String = pa.Field(str_length={"min_value": 1})
    department_code: pl.String = pa.Field(nullable=True)
    location_code: pl.String = pa.Field(nullable=True)
    division: pl.String = pa.Field(nullable=True)
    allocation_basis: pl.String = pa.Field(isin=ALLOCATION_BASES)
    share: Rate = pa.Field(ge=0, le=1)
    amount: Money

    @pa.dataframe_check
    def shares_of_an_item_sum_to_one(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """An item is charged whole: its shares sum to exactly 1."""
        return data.lazyframe.select(
            pl.col("share").cast(pl.Decimal(38, 8)).sum().over("event_id") == 1
        )

    @pa.dataframe_check
    def one_basis_per_item(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """An item is split by one rule, never by two."""
        return data.lazyframe.select(pl.col("allocation_basis").n_unique().over("event_id") == 1)

    class Config:
        name = "canonical.payroll_allocations"
