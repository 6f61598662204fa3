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
- ``payment_methods.csv``: its payment-method overrides. The pipeline maps a card brand or tender
  type by value alone, for every store, so an override may add a value no row maps yet; one that
  would map an already-mapped value to another code is refused, never applied to every store.

Files are replaced atomically (written beside, then renamed), and an unchanged file is not
rewritten, so a run that changes nothing leaves git clean.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path


class OnboardingRefused(ValueError):
    """The store's YAML contradicts the mapping files (an unknown tax code, a payment method
    mapped otherwise for every store)."""


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
    """Write ``rows`` into the mapping files of ``directory``."""
    store_id = rows.store["store_id"]
    valid_from = rows.store["valid_from"]
    tax_codes = {row["tax_code"] for row in _read(directory / "tax_codes.csv")[1]}
    if rows.store["tax_code"] not in tax_codes:
        raise OnboardingRefused(
            f"store {store_id}: tax code {rows.store['tax_code']!r} is not in tax_codes.csv"
        )
    entities = {row["legal_entity"].lower() for row in _read(directory / "legal_entities.csv")[1]}
    if rows.store["legal_entity"].lower() not in entities:
        raise OnboardingRefused(
            f"store {store_id}: legal entity {rows.store['legal_entity']!r} is not in "
            "legal_entities.csv"
        )
    # Every refusal comes before the first file is written: a refused store changes nothing.
    methods_header, methods = _read(directory / "payment_methods.csv")
    mapped = {(r["source_field"], _normalised(r["source_value"])): r for r in methods}
    added_methods = []
    for method in rows.payment_methods:
        key = (method["source_field"], _normalised(method["source_value"]))
        if key in mapped:
            if mapped[key]["payment_method_code"] != method["payment_method_code"]:
                raise OnboardingRefused(
                    f"store {store_id}: {key[0]} {key[1]} is mapped to "
                    f"{mapped[key]['payment_method_code']} for every store (payment_methods.csv); "
                    f"the pipeline maps by value alone, so {method['payment_method_code']} for "
                    "one store cannot be applied"
                )
            continue
        added_methods.append({**method, "valid_from": valid_from})
    changed: list[str] = []

    def replace(name: str, new_rows: list[dict[str, str]]) -> None:
        header, existing = _read(directory / name)
        # In place of the store's first row (appended when new): an unchanged store leaves
        # the file byte for byte as it was.
        at = next((i for i, row in enumerate(existing) if row["store_id"] == store_id), None)
        kept = [row for row in existing if row["store_id"] != store_id]
        position = len(kept) if at is None else at
        if _write(directory / name, header, kept[:position] + new_rows + kept[position:]):
            changed.append(name)

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

    header, values = _read(directory / "gl_dimension_values.csv")
    known = {(row["dimension"], row["value"]) for row in values}
    added_values = [
        {"dimension": d, "value": v, "description": rows.store["store_name"]}
        for d, v in rows.dimensions.items()
        if (d, v) not in known
    ]
    if _write(directory / "gl_dimension_values.csv", header, values + added_values):
        changed.append("gl_dimension_values.csv")

    if _write(directory / "payment_methods.csv", methods_header, methods + added_methods):
        changed.append("payment_methods.csv")
    return OnboardingReport(
        files_changed=changed,
        dimension_values_added=[f"{r['dimension']}={r['value']}" for r in added_values],
        payment_methods_added=[f"{r['source_field']}={r['source_value']}" for r in added_methods],
    )


def missing_rows(directory: Path, rows: StoreRows) -> list[str]:
    """What of ``rows`` the mapping files do not hold as the YAML says (empty when onboarded)."""
    store_id = rows.store["store_id"]
    missing = []
    stores = [r for r in _read(directory / "stores.csv")[1] if r["store_id"] == store_id]
    if stores != [rows.store]:
        missing.append("stores.csv")
    dims = {
        r["dimension"]: r["value"]
        for r in _read(directory / "gl_store_dimensions.csv")[1]
        if r["store_id"] == store_id
    }
    if dims != rows.dimensions:
        missing.append("gl_store_dimensions.csv")
    if rows.warehouse is not None:
        found = [
            r for r in _read(directory / "store_warehouses.csv")[1] if r["store_id"] == store_id
        ]
        if found != [_warehouse_row(rows)]:
            missing.append("store_warehouses.csv")
    return missing


def _warehouse_row(rows: StoreRows) -> dict[str, str]:
    assert rows.warehouse is not None
    return {
        "store_id": rows.store["store_id"],
        "legal_entity": rows.store["legal_entity"],
        **rows.warehouse,
    }


def _normalised(value: str) -> str:
    return value.strip().replace(" ", "_").upper()


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> bool:
    """Write ``rows`` as ``path`` if that changes it; True when it did."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows({column: row.get(column, "") for column in header} for row in rows)
    text = buffer.getvalue()
    if path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True
