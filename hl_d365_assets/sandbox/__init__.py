"""The sandbox: a seeded generator of Heartland-shaped data with injected, documented defects.

    from hl_d365_assets.sandbox import SANDBOX_DAY, SandboxConfig, generate
    generate(LandingZone(settings.landing_dir), [SANDBOX_DAY], SandboxConfig())

lands a demo day (every store x 200 gateway transactions, their POS tickets and settlement
batches), writes the same day as a Heartland Retail account serves it to
``<data_dir>/sandbox/heartland_retail/`` (retail_store.py; ``write_retail_store`` writes only
that) and appends its defects to ``<data_dir>/sandbox/ground_truth.ndjson``. Command line:
``hl-d365 sandbox --start 2026-11-20 --per-store 200``. ``SandboxConfig(risk=RiskPatternRates())``
(``--risk-patterns``) also injects labelled fraud and loss patterns and writes their truth
beside the ground truth (risk_patterns.py, docs/risk-sandbox.md).
"""

from hl_d365_assets.sandbox.card_brands import CARD_BRANDS, CardBrand
from hl_d365_assets.sandbox.defects import DEFECT_KINDS, EXPECTED_OUTCOMES, DefectRates
from hl_d365_assets.sandbox.delivery import ENTITIES, SOURCE
from hl_d365_assets.sandbox.generator import (
    DEMO_TRANSACTIONS_PER_STORE_DAY,
    SANDBOX_DAY,
    GenerationReport,
    SandboxConfig,
    default_ground_truth_path,
    generate,
    stderr_progress,
)
from hl_d365_assets.sandbox.retail_store import (
    RetailStoreReport,
    default_retail_store_dir,
    write_retail_store,
)
from hl_d365_assets.sandbox.risk_patterns import RISK_PATTERNS, RiskPatternRates
from hl_d365_assets.sandbox.stores import Store, load_stores

__all__ = [
    "CARD_BRANDS",
    "DEFECT_KINDS",
    "DEMO_TRANSACTIONS_PER_STORE_DAY",
    "ENTITIES",
    "EXPECTED_OUTCOMES",
    "RISK_PATTERNS",
    "SANDBOX_DAY",
    "SOURCE",
    "CardBrand",
    "DefectRates",
    "GenerationReport",
    "RetailStoreReport",
    "RiskPatternRates",
    "SandboxConfig",
    "Store",
    "default_ground_truth_path",
    "default_retail_store_dir",
    "generate",
    "load_stores",
    "stderr_progress",
    "write_retail_store",
]
