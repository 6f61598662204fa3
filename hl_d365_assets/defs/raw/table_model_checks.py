"""Raw-layer table contracts as asset checks (blocking: a raw day that breaks the landing
contract must not be normalised, let alone reach the ledger)."""

import dagster as dg

from hl_d365_assets.table_checks import build_table_model_check
from hl_d365_assets.table_models import raw

MODELS = {
    "payment_transactions": raw.PaymentTransactions,
    "settlement_batches": raw.SettlementBatches,
    "pos_tickets": raw.PosTickets,
}

raw_table_model_checks = [
    build_table_model_check(
        asset_key=dg.AssetKey(["raw", entity]),
        table=f"raw.{entity}",
        model=model,
        blocking=True,
        description=f"Every row of raw.{entity} for the day meets the landing contract "
        "(docs/landing_format.md): types, nullability, id shapes, non-negative minor units, "
        "one row per event id and per landed line, and the cross-column rules below.",
    )
    for entity, model in MODELS.items()
]
