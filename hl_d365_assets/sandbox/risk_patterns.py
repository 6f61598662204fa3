"""Labelled fraud and loss patterns injected into otherwise clean sandbox days, and their truth.

Risk scoring (issue 18) is measured against what the sandbox knows it injected. With
``SandboxConfig.risk`` set, ``build_day`` adds, per store and day, the records of each pattern
(``RISK_PATTERNS``; names from ``hl_d365_assets.risk.patterns``) through the same tables every
clean record goes through (sandbox/sql/inject_risk_*.sql), so they land, settle, reach the
Heartland Retail store and load as any other record, carrying no field that says what they are.
Injected sales are real sales that settle; declines and authorisations do not. What each
pattern looks like in the data: docs/risk-sandbox.md.

The truth is appended per generated day to ``<data_dir>/sandbox/risk_truth.ndjson`` (next to
ground_truth.ndjson), one line per injected record:
``{"business_date", "pattern", "instance_id", "record_id"}`` with ``record_id`` one of
``transaction:<TRN id>``, ``ticket:<Retail ticket id>`` (as canonical.pos_sales holds it) and
``batch:<batch id>/<brand>``.

Rates are instances per 1,000 store-days (compromised_terminal: per 1,000 store-weeks), at most
one instance per store, pattern and day, drawn from (seed, day, store) like every other value.
The defaults give every pattern about 10 or more instances over 30 days of the 5 sandbox stores.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import duckdb

from hl_d365_assets.sandbox.sql_files import run_sql_file, sql_text

RISK_PATTERNS: tuple[str, ...] = (
    "card_testing",
    "card_many_stores",
    "refund_no_sale",
    "refund_larger_than_sale",
    "refund_other_card",
    "amount_outlier",
    "off_hours",
    "excessive_tip",
    "split_ticket",
    "void_after_capture",
    "compromised_terminal",
    "fee_above_contract",
)
"""The patterns the payments and POS sandbox injects (payroll's are payroll_defects' own)."""

# The files that add records, in order: each reads the day's clean tables only.
_RECORD_FILES = (
    "inject_risk_card_testing",
    "inject_risk_card_many_stores",
    "inject_risk_refunds",
    "inject_risk_sales",
    "inject_risk_cashier_patterns",
)


@dataclass(frozen=True)
class RiskPatternRates:
    """Instances per 1,000 store-days of each pattern (0 turns one off), and the split limit."""

    card_testing: int = 120
    card_many_stores: int = 120
    refund_no_sale: int = 120
    refund_larger_than_sale: int = 120
    refund_other_card: int = 120
    amount_outlier: int = 120
    off_hours: int = 120
    excessive_tip: int = 120
    split_ticket: int = 120
    void_after_capture: int = 120
    compromised_terminal: int = 600
    """Per 1,000 store-weeks: an instance lasts 3 consecutive days of its week."""
    fee_above_contract: int = 120
    split_ticket_limit_minor: int = 25000
    """The limit split tickets stay just under (a store's approval limit), in minor units."""

    def __post_init__(self) -> None:
        for name in RISK_PATTERNS:
            rate = getattr(self, name)
            if not 0 <= rate <= 1000:
                raise ValueError(f"{name}: {rate} per 1,000 is not between 0 and 1000")
        if self.split_ticket_limit_minor < 5000:
            raise ValueError("split_ticket_limit_minor must be at least 5000 (50.00)")

    def rates(self) -> dict[str, int]:
        """pattern -> its rate, for every pattern of ``RISK_PATTERNS``."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in RISK_PATTERNS}


def inject_risk_records(con: duckdb.DuckDBPyConnection, rates: RiskPatternRates) -> None:
    """Add the day's pattern records to slots, tickets and transaction_events, and mark the
    compromised terminals' entries. Run after the record defects (a pattern only ever picks
    records no defect touched) and before order payments and the batches, which settle them."""
    for name, rate in rates.rates().items():
        con.execute(f"SET VARIABLE risk_{name} = ?::BIGINT", [rate]).fetchall()
    con.execute(
        "SET VARIABLE risk_split_limit = ?::BIGINT", [rates.split_ticket_limit_minor]
    ).fetchall()
    run_sql_file(con, "create_risk_slots")
    for name in _RECORD_FILES:
        run_sql_file(con, name)
    run_sql_file(con, "inject_risk_slots")
    run_sql_file(con, "inject_risk_compromised_terminal")


def inject_risk_batches(con: duckdb.DuckDBPyConnection) -> None:
    """Overcharge the fees of the chosen batches (fee_above_contract), once they are built."""
    run_sql_file(con, "inject_risk_fee_above_contract")


def risk_truth(con: duckdb.DuckDBPyConnection, business_date: str) -> list[dict[str, str]]:
    """The day's truth lines, once its Retail documents are rendered (their ticket ids)."""
    return [
        {
            "business_date": business_date,
            "pattern": pattern,
            "instance_id": instance_id,
            "record_id": record_id,
        }
        for pattern, instance_id, record_id in con.execute(sql_text("select_risk_truth")).fetchall()
    ]
