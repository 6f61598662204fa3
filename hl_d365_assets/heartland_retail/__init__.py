"""Heartland Retail (the POS, formerly Springboard Retail): its REST client.

The contract every part codes against is docs/heartland_retail.md; the simulator lives in the
sandbox (hl_d365_assets/sandbox/heartland_retail_simulator.py).
"""

from hl_d365_assets.heartland_retail.client import (
    HeartlandRetailClient,
    RetailApi,
    RetailPage,
    RetailRecord,
    production_base_url,
)
from hl_d365_assets.heartland_retail.errors import (
    HeartlandRetailApiError,
    HeartlandRetailAuthenticationError,
    HeartlandRetailOutcomeUnknown,
)

__all__ = [
    "HeartlandRetailApiError",
    "HeartlandRetailAuthenticationError",
    "HeartlandRetailClient",
    "HeartlandRetailOutcomeUnknown",
    "RetailApi",
    "RetailPage",
    "RetailRecord",
    "production_base_url",
]
