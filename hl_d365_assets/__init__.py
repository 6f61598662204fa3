"""Heartland payments, POS and settlement data to Microsoft Dynamics 365 Finance, as Dagster assets."""

import warnings

# Dagster 1.13 labels two features this project relies on as not yet stable, and says so each
# time a definition using them is built — in every process, on every command (the demo, the
# daemon's sensor ticks, the UI's code server). Dagster is pinned in requirements.lock and both
# are exercised by the tests (single-run backfills, the ledger's per-day checks), so the notices
# tell a user nothing they can act on. Only these are silenced, by their text (importing
# Dagster's warning classes here would load Dagster in processes that do not use it).
warnings.filterwarnings(
    "ignore",
    message=r"Parameter `backfill_policy` of function `asset` is currently in beta",
)
warnings.filterwarnings(
    "ignore",
    message=r"Specifying a partitions_def on an AssetCheckSpec is currently in preview",
)
# The YAML business rules' checks (components/business_rule.py): Dagster's component loader hands
# them on as assets definitions and its repository turns them back into check definitions,
# passing a beta parameter of its own; nothing of ours uses it (docs/low-code.md).
warnings.filterwarnings(
    "ignore",
    message=r"Parameter `execution_type` of function `AssetsDefinition.__init__` is currently in beta",
)
