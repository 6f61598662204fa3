"""The component types whose instances are YAML (``defs.yaml``) a finance-systems engineer edits
without Python: business rules, store onboarding and alert routes (docs/low-code.md). Registered
for ``dg`` through ``registry_modules`` in dg.toml and pyproject.toml."""

from hl_d365_assets.components.alert_route import AlertRoute
from hl_d365_assets.components.business_rule import BusinessRule
from hl_d365_assets.components.store_onboarding import StoreOnboarding

__all__ = ["AlertRoute", "BusinessRule", "StoreOnboarding"]
