"""A store onboarded in YAML (components/store_onboarding.py) becomes rows of the finance-owned
mapping files, the one place every reader of stores reads: the ``ref.*`` loaders, the sandbox,
the pulls' business-day clock (``StoreZones``). So there is one way a store exists — a row of
``stores.csv`` — and the YAML is one way to write it, as the mapping co-pilot's approvals are
another (issue 19).

What a store's YAML writes, each file keeping its column order and every other row as it was:

- ``stores.csv``: its row (replaced when the YAML changes);
- ``gl_store_dimensions.csv``: its dimension values (replaced);
- ``gl_dimension_values.csv``: a dimension value it introduces (BusinessUnit ``007``), added
  once with the store's name, so the journal's ``accounts_in_chart`` check knows it;
- ``store_warehouses.csv``: its D365 site and warehouse, when given (replaced);
- ``payment_methods.csv``: its payment-method overrides, as rows naming the store
  (``store_id``): the store's own row wins over the all-stores row of the same value, so an
  override may remap a value every other store keeps (VISA to another D365 method for this store
  alone), or map one no other store takes (EBT).

Every file is written through the one mapping-file writer (:mod:`hl_d365_assets.mapping_files`):
read and written under the folder's lock, replaced atomically, other lines byte for byte as they
were, and an unchanged file not rewritten, so a run that changes nothing leaves git clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hl_d365_assets.mapping_files import MappingFile, MappingFiles, editing, normalised


class OnboardingRefused(ValueError):
    """The store's YAML contradicts the mapping files (an unknown tax code or legal entity) or
    itself (a payment method overridden twice)."""


@dataclass(frozen=True)
class StoreRows:
    store: dict[str, str]
    dimensions: dict[str, str]
    warehouse: dict[str, str] | None = None
    payment_methods: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class OnboardingReport:
    files_changed: list[str]
    dimension_values_added: list[str]
    payment_methods_added: list[str]


def write_store(directory: Path, rows: StoreRows) -> OnboardingReport:
    """Write ``rows`` into the mapping files of ``directory``, all under one lock: another writer
    (a co-pilot approval) waits, and sees either none of the store's rows or all of them."""
    with editing(directory) as files:
        return _write_store(files, rows)


def _write_store(files: MappingFiles, rows: StoreRows) -> OnboardingReport:
    store_id = rows.store["store_id"]
    valid_from = rows.store["valid_from"]
    tax_codes = {row["tax_code"] for row in files["tax_codes.csv"].rows}
    if rows.store["tax_code"] not in tax_codes:
        raise OnboardingRefused(
            f"store {store_id}: tax code {rows.store['tax_code']!r} is not in tax_codes.csv"
        )
    entities = {row["legal_entity"].lower() for row in files["legal_entities.csv"].rows}
    if rows.store["legal_entity"].lower() not in entities:
        raise OnboardingRefused(
            f"store {store_id}: legal entity {rows.store['legal_entity']!r} is not in "
            "legal_entities.csv"
        )
    if "store_id" not in files["payment_methods.csv"].header and rows.payment_methods:
        raise OnboardingRefused(
            f"store {store_id}: payment_methods.csv has no store_id column to hold the store's "
            "payment-method overrides (add it to the header: blank means every store)"
        )
    keys = [(m["source_field"], normalised(m["source_value"])) for m in rows.payment_methods]
    twice = sorted({f"{f} {v}" for f, v in keys if keys.count((f, v)) > 1})
    if twice:
        raise OnboardingRefused(f"store {store_id}: payment method overridden twice: {twice}")
    # Every refusal comes before the first change; and nothing is written until the end of the
    # editing block, so a refused store changes no file.

    def replace(name: str, new_rows: list[dict[str, str]]) -> None:
        # In place of the store's first row (appended when new): an unchanged store leaves
        # the file byte for byte as it was.
        files[name].replace(lambda row: row["store_id"] == store_id, new_rows)

    replace("stores.csv", [rows.store])
    replace(
        "gl_store_dimensions.csv",
        [
            {"store_id": store_id, "dimension": d, "value": v, "valid_from": valid_from}
            for d, v in rows.dimensions.items()
        ],
    )
    if rows.warehouse is not None:
        replace("store_warehouses.csv", [_warehouse_row(rows)])
    known = {(row["dimension"], row["value"]) for row in files["gl_dimension_values.csv"].rows}
    added_values = [
        {"dimension": d, "value": v, "description": rows.store["store_name"]}
        for d, v in rows.dimensions.items()
        if (d, v) not in known
    ]
    for value in added_values:
        files["gl_dimension_values.csv"].append(value)
    if rows.payment_methods or any(
        row.get("store_id") == store_id for row in files["payment_methods.csv"].rows
    ):
        replace("payment_methods.csv", _payment_method_rows(rows))
    return OnboardingReport(
        files_changed=files.changed(),
        dimension_values_added=[f"{r['dimension']}={r['value']}" for r in added_values],
        payment_methods_added=[
            f"{r['source_field']}={r['source_value']}" for r in rows.payment_methods
        ],
    )


def missing_rows(directory: Path, rows: StoreRows) -> list[str]:
    """What of ``rows`` the mapping files do not hold as the YAML says (empty when onboarded)."""
    store_id = rows.store["store_id"]
    missing = []
    stores = [r for r in _rows(directory, "stores.csv") if r["store_id"] == store_id]
    if stores != [rows.store]:
        missing.append("stores.csv")
    dims = {
        r["dimension"]: r["value"]
        for r in _rows(directory, "gl_store_dimensions.csv")
        if r["store_id"] == store_id
    }
    if dims != rows.dimensions:
        missing.append("gl_store_dimensions.csv")
    if rows.warehouse is not None:
        found = [r for r in _rows(directory, "store_warehouses.csv") if r["store_id"] == store_id]
        if found != [_warehouse_row(rows)]:
            missing.append("store_warehouses.csv")
    methods = [r for r in _rows(directory, "payment_methods.csv") if r.get("store_id") == store_id]
    if methods != _payment_method_rows(rows):
        missing.append("payment_methods.csv")
    return missing


def _payment_method_rows(rows: StoreRows) -> list[dict[str, str]]:
    """The store's overrides as ``payment_methods.csv`` rows: its own, from its ``valid_from``."""
    return [
        {
            "source_field": m["source_field"],
            "source_value": m["source_value"],
            "payment_method_code": m["payment_method_code"],
            "description": m.get("description") or "",
            "valid_from": rows.store["valid_from"],
            "store_id": rows.store["store_id"],
        }
        for m in rows.payment_methods
    ]


def _warehouse_row(rows: StoreRows) -> dict[str, str]:
    assert rows.warehouse is not None
    return {
        "store_id": rows.store["store_id"],
        "legal_entity": rows.store["legal_entity"],
        **rows.warehouse,
    }


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    return MappingFile(directory / name).rows
