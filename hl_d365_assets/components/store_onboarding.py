"""A store onboarded in YAML: its legal entity, currency, time zone, D365 dimensions, warehouse and
payment-method overrides become rows of the mapping files every reader of stores reads
(hl_d365_assets/store_onboarding.py). One asset per store, ``onboarding/store_<id>``, writes them
(materialise it once, and again after editing the YAML); its blocking check
``mappings_hold_store`` says when the files and the YAML disagree. The store needs no partitions
of its own: its records fall into the shared business days by its time zone, as every store's do.
"""

import re
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field, field_validator

from hl_d365_assets.resources import MappingsResource
from hl_d365_assets.store_onboarding import (
    StoreRows,
    missing_rows,
    write_store,
)
from hl_d365_assets.time_zones import zone

_CODE = re.compile(r"[A-Za-z0-9_-]+")


class PaymentMethodOverride(dg.Model):
    """How this store alone maps a card brand or tender type: a row of payment_methods.csv naming
    the store, which wins over the all-stores row of the value on the store's records."""

    source_field: str = Field(description="card_brand or tender_type.")
    source_value: str = Field(description="The value as sources send it (VISA, EBT).")
    payment_method_code: str = Field(description="D365 payment method code.")
    description: str = ""

    @field_validator("source_field")
    @classmethod
    def _field(cls, value: str) -> str:
        if value not in ("card_brand", "tender_type"):
            raise ValueError("source_field is card_brand or tender_type")
        return value


class StoreWarehouse(dg.Model):
    inventory_site_id: str
    inventory_warehouse_id: str


class StoreOnboarding(dg.Component, dg.Model, dg.Resolvable):
    """A store (merchant) onboarded without Python: the mapping rows it needs, written by the
    asset ``onboarding/store_<store_id>``. Identifiers are text: quote them in YAML ("007")."""

    store_id: str = Field(description="Store id, the POS store_id and gateway site_reference.")
    merchant_id: str = Field(description="Heartland merchant id (MER_…).")
    store_name: str
    legal_entity: str = Field(description="D365 legal entity (dataAreaId), in legal_entities.csv.")
    currency: str = Field(description="ISO currency the store trades in.")
    timezone: str = Field(description="IANA time zone: the store's business days are read in it.")
    tax_code: str = Field(description="The store's usual POS tax code, in tax_codes.csv.")
    department: str = Field(description="RETAIL or OUTLET: which revenue posting rules apply.")
    valid_from: str = Field(description="First business day the rows apply, YYYY-MM-DD (quoted).")
    dimensions: dict[str, str] = Field(
        description="D365 financial dimension values of the store: BusinessUnit, Department."
    )
    warehouse: StoreWarehouse | None = None
    payment_methods: list[PaymentMethodOverride] = Field(
        default_factory=list,
        description="This store's payment-method overrides: a value the other stores map "
        "otherwise (remapped here only), or one no other store takes.",
    )

    @field_validator("store_id", "merchant_id", "currency", "tax_code")
    @classmethod
    def _plain_code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(f"{value!r} is not a plain code (letters, digits, _ and -)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("valid_from")
    @classmethod
    def _day(cls, value: str) -> str:
        date.fromisoformat(value)
        return value

    def rows(self) -> StoreRows:
        return StoreRows(
            store={
                "store_id": self.store_id,
                "merchant_id": self.merchant_id,
                "store_name": self.store_name,
                "legal_entity": self.legal_entity,
                "currency": self.currency.upper(),
                "timezone": self.timezone,
                "tax_code": self.tax_code,
                "department": self.department,
                "valid_from": self.valid_from,
            },
            dimensions=dict(self.dimensions),
            warehouse=self.warehouse.model_dump() if self.warehouse else None,
            payment_methods=[method.model_dump() for method in self.payment_methods],
        )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        rows = self.rows()
        key = dg.AssetKey(["onboarding", f"store_{self.store_id}"])

        @dg.asset(
            key=key,
            description=f"Onboards store {self.store_id} ({self.store_name}, {self.legal_entity}, "
            f"{self.currency}, {self.timezone}) from its YAML: writes its rows into the mapping "
            "files (stores, dimensions, warehouse, payment methods). Materialise after editing "
            "the YAML; the daily job then loads the store's days. (docs/low-code.md)",
            group_name="onboarding",
            kinds={"csv"},
            owners=["team:finance-data"],
        )
        def onboard_store(
            context: dg.AssetExecutionContext, mappings: MappingsResource
        ) -> dg.MaterializeResult:
            report = write_store(Path(mappings.directory), rows)
            return dg.MaterializeResult(
                metadata={
                    "files_changed": ", ".join(report.files_changed) or "none",
                    "dimension_values_added": ", ".join(report.dimension_values_added) or "none",
                    "payment_methods_added": ", ".join(report.payment_methods_added) or "none",
                    "mappings_sha256": mappings.sha256(),
                }
            )

        @dg.asset_check(
            asset=key,
            name="mappings_hold_store",
            blocking=True,
            description="The mapping files hold the store as its YAML says; fails while the "
            "YAML was edited and the onboarding asset not materialised since.",
        )
        def mappings_hold_store(mappings: MappingsResource) -> dg.AssetCheckResult:
            missing = missing_rows(Path(mappings.directory), rows)
            return dg.AssetCheckResult(
                passed=not missing,
                metadata={"files_disagreeing": ", ".join(missing) or "none"},
            )

        return dg.Definitions(assets=[onboard_store], asset_checks=[mappings_hold_store])
