"""Co-occurrence in the data: what the records of an unmapped value say about its mapping.

A Retail payment type's tenders name gateway transactions whose card brand is known (a new
``Visa Debit`` type is paid with VISA transactions); a card brand the gateway reports unmapped is
paid at the POS with a payment type that already maps to a D365 method; an unknown earning code
is paid on checks whose other earnings already map to a main account. Only counts leave the
warehouse here, never amounts, card data or who was paid.

A store's missing dimension value has its evidence in the files instead: what the sibling stores
of its legal entity carry (:func:`sibling_store_evidence`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from hl_d365_assets.mapping_copilot.kinds import KINDS, Row, Target, normalised, read_rows
from hl_d365_assets.mapping_copilot.suggestions import Evidence
from hl_d365_assets.warehouse import sql_file

STORE_KINDS = ("store_dimension", "payroll_location_dimension")


def sibling_store_evidence(
    directory: Path, context: str, store_id: str, rows: list[Row]
) -> Evidence | None:
    """What the stores of the same legal entity (stores.csv) carry in dimension ``context``,
    their newest row of ``rows`` (gl_store_dimensions.csv) each. Two shapes, read from the rows
    rather than from the dimension's name: when every sibling has a value of its own (a
    BusinessUnit per store), a value another store already carries does not fit and a free one
    does; when siblings share values (a Department), the share of siblings carrying a value is
    its fit, counted among the siblings of the store's own kind (the same ``department`` in
    stores.csv: an outlet beside the outlets) when there are any. None when the store is not in
    stores.csv or has no sibling with a row."""
    stores = read_rows(directory, "stores.csv")
    entity = {normalised(s["store_id"]): s["legal_entity"] for s in stores}
    kind_of = {normalised(s["store_id"]): s["department"] for s in stores}
    own = entity.get(normalised(store_id))
    if own is None:
        return None
    newest: dict[str, Row] = {}
    for row in sorted(rows, key=lambda r: r.get("valid_from", "")):
        if normalised(row["store_id"]) != normalised(store_id):
            newest[normalised(row["store_id"])] = row
    carried_by = {store: row["value"] for store, row in newest.items()}
    siblings = {store: v for store, v in carried_by.items() if entity.get(store) == own}
    if not siblings:
        return None
    holders = {v: store for store, v in sorted(carried_by.items(), reverse=True)}
    if len(siblings) > 1 and len(set(siblings.values())) == len(siblings):
        return Evidence(
            lambda target: int(target.as_dict["value"] not in holders),
            1,
            lambda target, n, total: (
                f"each of the {len(siblings)} other stores of {own} has a {context} of its own, "
                + (f"and no store carries {target.as_dict['value']} yet" if n
                   else f"and {target.as_dict['value']} is store {holders[target.as_dict['value']]}'s")
            ),
        )  # fmt: skip
    mine = kind_of[normalised(store_id)]
    alike = {store: v for store, v in siblings.items() if kind_of.get(store) == mine}
    which = f"{own} stores of department {mine}" if alike else f"stores of {own}"
    alike = alike or siblings
    counts = {v: list(alike.values()).count(v) for v in alike.values()}
    return Evidence(
        lambda target: counts.get(target.as_dict["value"], 0),
        len(alike),
        lambda target, n, total: (
            f"{n} of the {total} other {which} carry {context} {target.as_dict['value']}"
        ),
    )


def evidence_for(
    conn: duckdb.DuckDBPyConnection,
    kind_name: str,
    context: str,
    value: str,
    mappings_dir: Path | None = None,
) -> Evidence | None:
    kind = KINDS[kind_name][0]
    if kind.name in STORE_KINDS and mappings_dir is not None:
        rows = kind.rows_in_context(read_rows(mappings_dir, kind.file), context)
        return sibling_store_evidence(mappings_dir, context, value, rows)
    if kind.name == "earning_code":
        rows = conn.execute(
            sql_file("ops/count_earning_code_accounts.sql"), {"code": normalised(value)}
        ).fetchall()
        by_account = {account: n for account, n in rows if account is not None}
        checks = sum(n for account, n in rows if account is None)
        return Evidence(
            lambda target: by_account.get(target.as_dict["main_account"], 0),
            checks,
            lambda target, n, total: f"{n} of {total} checks paying it also pay an earning "
            f"mapped to {target.as_dict['main_account']}",
        ) if checks else None  # fmt: skip
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
