"""Pandera (polars) contracts for the warehouse tables, one ``DataFrameModel`` per table.

``raw`` holds the models of the raw tables (the landing contract in docs/landing_format.md, as
parsed), ``canonical`` those of the canonical tables (the DDL comments in sql/canonical/).
:mod:`hl_d365_assets.table_checks` runs each one as a blocking asset check on its partition.

This module holds what both layers share: the column types DuckDB hands to polars, the id
shapes, and the few expression helpers the cross-column rules are written with.

Which value lists are contract and which are mapping: a column gets ``isin`` only when the
pipeline's SQL branches on its literal values (``type`` 'REFUND' flips the sign, ``ticket_type``
'RETURN' too) or when the contract fixes a closed set no mapping file covers (batch status
'CLOSED'). Values looked up in mappings/*.csv (gateway and ticket statuses, card brands, tender
types, currencies, tax codes) are deliberately open here: an unknown one must load, be flagged
in ``mapping_issue`` and be named by the ``mappings_complete`` check, so finance knows which row to
add. The schema only pins their shape (an ISO currency is three upper-case letters).
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from pandera.engines import polars_engine

# DuckDB DECIMAL(18, 2) arrives as polars Decimal(18, 2): exact, never a float.
Money = Annotated[polars_engine.Decimal, 18, 2]
Rate = Annotated[polars_engine.Decimal, 18, 8]
# TIMESTAMPTZ is an instant; table_checks reads with the session time zone set to UTC, so it
# arrives as Datetime(us, UTC). TIMESTAMP (a store's wall-clock time) arrives without a zone.
Instant = Annotated[polars_engine.DateTime, False, "UTC", "us"]
LocalTime = Annotated[polars_engine.DateTime, False, None, "us"]

CURRENCY_CODE = r"^[A-Z]{3}$"
# PCI DSS: first six and last four are the only card digits the warehouse may hold.
CARD_FIRST6 = r"^[0-9]{6}$"
CARD_LAST4 = r"^[0-9]{4}$"
MASKED_CARD_NUMBER = r"^(?:[0-9]{6}|X{6})X{3,9}(?:[0-9]{4}|X{4})$"

TRANSACTION_TYPES = ["SALE", "REFUND"]
TICKET_TYPES = ["SALE", "RETURN"]
BATCH_STATUSES = ["CLOSED"]


def implies(premise: pl.Expr, conclusion: pl.Expr) -> pl.Expr:
    """``premise ⇒ conclusion`` per row. An unknown premise does not apply; an unknown
    conclusion fails, so a NULL can never slip a rule."""
    return premise.fill_null(False).not_() | conclusion.fill_null(False)


def signed_by(negative_rows: pl.Expr, *amounts: str) -> pl.Expr:
    """Each amount is <= 0 on ``negative_rows`` and >= 0 on the others; NULL amounts are the
    nullability rules' business, not this one's."""
    return pl.all_horizontal(
        pl.col(amount).is_null()
        | pl.when(negative_rows).then(pl.col(amount) <= 0).otherwise(pl.col(amount) >= 0)
        for amount in amounts
    )


def present_when_clean(*columns: str) -> pl.Expr:
    """A row the mappings fully describe (``mapping_issue`` NULL) has every one of ``columns``."""
    return implies(
        pl.col("mapping_issue").is_null(),
        pl.all_horizontal(pl.col(column).is_not_null() for column in columns),
    )


def mapped_or_explained(column: str, issue_code: str) -> pl.Expr:
    """A NULL mapped value is only allowed when ``mapping_issue`` names why (``issue_code``)."""
    return implies(
        pl.col(column).is_null(), pl.col("mapping_issue").str.contains(issue_code, literal=True)
    )


def unique_together(*columns: str) -> pl.Expr:
    """No two rows share the values of ``columns``."""
    return pl.struct(columns).is_duplicated().not_()


def unique_keys(model: type) -> tuple[tuple[str, ...], ...]:
    """The column sets the model's ``one_row_per_*`` rules hold unique: each class's
    ``__unique_keys__``, inherited ones included. table_checks validates a big day in slices and
    keeps every row of a duplicate group in one slice, so these rules stay exact
    (test_table_models pins that each rule's columns are declared here)."""
    return tuple(key for cls in model.__mro__ for key in vars(cls).get("__unique_keys__", ()))


def slice_keys(model: type) -> tuple[tuple[str, ...], ...]:
    """The column sets whose rows sharing a value table_checks keeps in one slice of a big day:
    the unique keys, and each class's ``__grouped_by__``, the columns its rules over several rows
    read together (a window ``over(...)``: an allocated item's shares sum to one). Split across
    two slices, such a group would fail its rule in each (test_table_models pins that every
    ``over(...)`` of a rule is declared here)."""
    return unique_keys(model) + tuple(
        key for cls in model.__mro__ for key in vars(cls).get("__grouped_by__", ())
    )
