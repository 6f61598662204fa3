"""Canonical-layer table contracts as asset checks (blocking: the ledger is built from these
rows, so a wrong sign, a total that does not add up or a half-mapped row stops the day)."""

import dagster as dg

from hl_d365_assets.table_checks import build_table_model_check
from hl_d365_assets.table_models import canonical

MODELS = {
    "payments": canonical.Payments,
    "settlement_batches": canonical.SettlementBatches,
    "settlement_fees": canonical.SettlementFees,
    "pos_sales": canonical.PosSales,
    "pos_sale_lines": canonical.PosSaleLines,
    "pos_tenders": canonical.PosTenders,
}

canonical_table_model_checks = [
    build_table_model_check(
        asset_key=dg.AssetKey(["canonical", table]),
        table=f"canonical.{table}",
        model=model,
        blocking=True,
        description=f"Every row of canonical.{table} for the day meets its contract: exact "
        "Decimal(18, 2) money, nullability, codes, uniqueness per business day, and the "
        "cross-column rules below. Unknown mapped values pass here; mappings_complete names them.",
    )
    for table, model in MODELS.items()
]
