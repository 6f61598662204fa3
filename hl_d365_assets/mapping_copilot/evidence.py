"""Co-occurrence in the data: what the records of an unmapped value say about its mapping.

A Retail payment type's tenders name gateway transactions whose card brand is known (a new
``Visa Debit`` type is paid with VISA transactions); a card brand the gateway reports unmapped is
paid at the POS with a payment type that already maps to a D365 method. Only counts leave the
warehouse here, never amounts or card data.
"""

from __future__ import annotations

import duckdb

from hl_d365_assets.mapping_copilot.kinds import KINDS, Target, normalised
from hl_d365_assets.mapping_copilot.suggestions import Evidence
from hl_d365_assets.warehouse import sql_file


def evidence_for(
    conn: duckdb.DuckDBPyConnection, kind_name: str, context: str, value: str
) -> Evidence | None:
    kind = KINDS[kind_name][0]
    if kind.name == "retail_payment_type":
        rows = conn.execute(
            sql_file("ops/count_payment_type_card_brands.sql"), {"name": value}
        ).fetchall()
        by_brand = {normalised(brand or ""): n for brand, n in rows}
        total = sum(by_brand.values())

        def fitting(target: Target) -> int:
            # A tender naming no gateway transaction fits every target that is not a card.
            values = target.as_dict
            if values["tender_type"] != "CARD":
                return by_brand.get("", 0)
            return by_brand.get(values["card_brand"], 0)

        def words(target: Target, n: int, total: int) -> str:
            if target.as_dict["tender_type"] != "CARD":
                return f"{n} of {total} tenders paid with it name no gateway transaction, as a {target.label} tender would not"
            return f"{n} of {total} tenders paid with it name a gateway transaction of card brand {target.as_dict['card_brand']}"

        return Evidence(fitting, total, words) if total else None
    if kind.name == "payment_method" and context == "card_brand":
        rows = conn.execute(
            sql_file("ops/count_card_brand_payment_methods.sql"), {"brand": value}
        ).fetchall()
        by_code = {code: n for code, n in rows if code is not None}
        total = sum(n for _, n in rows)
        return Evidence(
            lambda target: by_code.get(target.as_dict["payment_method_code"], 0),
            total,
            lambda target, n, total: f"{n} of {total} gateway transactions of the brand were "
            f"tendered at the POS with a payment type that maps to {target.label}",
        ) if total else None  # fmt: skip
    return None
