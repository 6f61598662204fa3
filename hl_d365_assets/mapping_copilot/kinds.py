"""What kinds of value can be unmapped, which mapping file each is added to, and what a value of
each kind may map to (its *targets*), read from the mapping files as they stand.

A target is what a new row would say on the right-hand side (``tender_type=CARD, card_brand=VISA``;
``main_account=112100, dimensions=store``). Targets come only from what finance already keeps:
the rows of the file itself, and the vocabularies the rows point into (the card brands of
``payment_methods.csv``, the chart of accounts, the D365 dimension values, the legal entities).
Each target carries the texts that describe it (keys of the rows already mapped to it, their
descriptions, the account's name), which the similarity scores compare the unmapped value with.
Nothing here invents a code: a suggestion is always one of these targets.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hl_d365_assets.mapping_files import normalised

Row = dict[str, str]


def read_rows(mappings_dir: Path, file: str) -> list[Row]:
    with (mappings_dir / file).open(newline="", encoding="utf-8") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


@dataclass(frozen=True)
class Target:
    """One right-hand side a new row may have, and the texts that say what it is."""

    values: tuple[tuple[str, str], ...]
    """(column, value) pairs, in the file's column order."""
    texts: tuple[str, ...]
    """Keys and descriptions of the rows mapped to it, names from the vocabulary it comes from."""
    label: str
    """How a person reads it in a list: ``CARD / VISA``, ``112100 (Card clearing - Visa)``."""

    @property
    def as_dict(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class MappingKind:
    """A kind of unmapped value: the file a row is added to and how that row is made."""

    name: str
    file: str
    key_columns: tuple[str, ...]
    """Columns the new row's key fills: the context (when the file has one) then the value."""
    target_columns: tuple[str, ...]
    description_column: str = "description"
    fixed: Mapping[str, str] = field(default_factory=dict)
    """Columns every new row of this kind carries as they are (a payroll earning's side)."""
    replay_job: str = "daily_heartland_job"
    """The job whose partitions re-materialise the days held for the value."""
    scope_columns: tuple[str, ...] = ()
    """Columns that narrow a row to part of the data (``payment_methods.csv``'s ``store_id``).
    A suggested row leaves them blank, so it maps the value everywhere; a row with one filled in
    maps it only there, and does not make the value mapped for the rest."""
    replay_assets: tuple[str, ...] = ()
    """Unpartitioned assets (``canonical/products``) the replay rebuilds whole, in one run of
    ``replay_job`` over exactly them, instead of the held partitions: a match that is not per
    business day holds no day."""

    def key_of(self, row: Row) -> tuple[str, str]:
        """(context, value) of an existing row: the context is empty for single-key files."""
        if len(self.key_columns) == 1:
            return "", row[self.key_columns[0]]
        return row[self.key_columns[0]], row[self.key_columns[1]]

    def rows_in_context(self, rows: list[Row], context: str) -> list[Row]:
        """The file's rows the value's context shares (the same posting kind, item class, source
        field), with this kind's fixed columns."""
        return [
            r
            for r in rows
            if (
                len(self.key_columns) == 1
                or normalised(r[self.key_columns[0]]) == normalised(context)
            )
            and all(r.get(c) == v for c, v in self.fixed.items())
        ]

    def new_row(
        self, header: list[str], context: str, value: str, target: Target, description: str,
        valid_from: str,
    ) -> Row:  # fmt: skip
        """The row to append, every column of ``header`` filled (empty where nothing applies)."""
        row = dict.fromkeys(header, "")
        keys = (value,) if len(self.key_columns) == 1 else (context, value)
        row.update(zip(self.key_columns, keys, strict=True))
        row.update(self.fixed)
        row.update(target.as_dict)
        if self.description_column in row:
            row[self.description_column] = description
        if "valid_from" in row:
            row["valid_from"] = valid_from
        return row


def _target(
    columns: tuple[str, ...], values: tuple[str, ...], label: str, texts: list[str]
) -> Target:
    texts = [*texts, *(v for v in values if len(v) > 1 and not v.isdigit())]
    return Target(
        tuple(zip(columns, values, strict=True)), tuple(dict.fromkeys(t for t in texts if t)), label
    )


def _merge(targets: list[Target]) -> list[Target]:
    """One target per right-hand side, its texts pooled, in first-seen order (deterministic)."""
    merged: dict[tuple, Target] = {}
    for t in targets:
        seen = merged.get(t.values)
        if seen is None:
            merged[t.values] = t
        else:
            texts = seen.texts + tuple(x for x in t.texts if x not in seen.texts)
            merged[t.values] = Target(seen.values, texts, seen.label)
    return list(merged.values())


def _account_names(directory: Path) -> dict[str, str]:
    return {r["main_account"]: r["name"] for r in read_rows(directory, "gl_main_accounts.csv")}


def retail_payment_type_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    cols = ("tender_type", "card_brand")
    found = [
        _target(cols, (normalised(r["tender_type"]), normalised(r["card_brand"])),
                f"{normalised(r['tender_type'])}{' / ' + normalised(r['card_brand']) if r['card_brand'] else ''}",
                [r["payment_type_name"], r["description"]])
        for r in rows
    ]  # fmt: skip
    for method in read_rows(directory, "payment_methods.csv"):
        brand = normalised(method["source_value"])
        if method["source_field"] == "card_brand":
            found.append(
                _target(cols, ("CARD", brand), f"CARD / {brand}", [brand, method["description"]])
            )
        else:
            found.append(_target(cols, (brand, ""), brand, [brand, method["description"]]))
    return _merge(found)


def payment_method_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    cols = ("payment_method_code",)
    found = [
        _target(cols, (r["payment_method_code"],), r["payment_method_code"],
                [r["source_value"], r["description"]])
        for r in rows
    ]  # fmt: skip
    for rule in read_rows(directory, "gl_posting_rules.csv"):
        if rule["posting_kind"] == "tender" and rule["match_value"] != "*":
            found.append(
                _target(cols, (rule["match_value"],), rule["match_value"],
                        [rule["match_value"], rule["description"]])
            )  # fmt: skip
    return _merge(found)


def status_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    cols = ("status_code", "is_financial")
    return _merge(
        [
            _target(cols, (r["status_code"], r["is_financial"]),
                    f"{r['status_code']} (money moved: {r['is_financial']})",
                    [r["source_value"], r["description"]])
            for r in rows
        ]
    )  # fmt: skip


def tax_code_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    cols = ("rate_percent", "d365_sales_tax_code")
    return _merge(
        [
            _target(cols, (r["rate_percent"], r["d365_sales_tax_code"]),
                    f"{r['d365_sales_tax_code']} at {r['rate_percent']} %",
                    [r["tax_code"], r["description"]])
            for r in rows
        ]
    )  # fmt: skip


def _account_targets(
    directory: Path, rows: list[Row], key_column: str, dimensions: str, account_types: set[str]
) -> list[Target]:
    """Targets of a posting rule: the accounts the context's rules already use (with the rows'
    keys and descriptions), then every account of the chart of the right type, with the
    dimensions the context's rules use most (so a suggestion never invents a dimension set)."""
    names = _account_names(directory)
    cols = ("main_account", "dimensions")
    found = [
        _target(cols, (r["main_account"], r["dimensions"]),
                f"{r['main_account']} ({names.get(r['main_account'], '?')}), dimensions {r['dimensions']}",
                [r[key_column], r["description"], names.get(r["main_account"], "")])
        for r in rows
    ]  # fmt: skip
    for chart in read_rows(directory, "gl_main_accounts.csv"):
        if chart["account_type"] in account_types:
            found.append(
                _target(cols, (chart["main_account"], dimensions),
                        f"{chart['main_account']} ({chart['name']}), dimensions {dimensions}",
                        [chart["name"]])
            )  # fmt: skip
    return _merge(found)


def gl_posting_rule_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    usual = Counter(r["dimensions"] for r in rows).most_common(1)
    return _account_targets(
        directory, rows, "match_value", usual[0][0] if usual else "none",
        {"BalanceSheet", "ProfitAndLoss"},
    )  # fmt: skip


def earning_code_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    return _account_targets(directory, rows, "item_code", "department", {"ProfitAndLoss"})


def payroll_department_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    cols = ("d365_department",)
    found = [
        _target(cols, (r["d365_department"],), r["d365_department"],
                [r["department_code"], r["description"]])
        for r in rows
    ]  # fmt: skip
    for value in read_rows(directory, "gl_dimension_values.csv"):
        if value["dimension"] == "Department":
            found.append(
                _target(
                    cols, (value["value"],), value["value"], [value["value"], value["description"]]
                )
            )
    return _merge(found)


def payroll_client_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    cols = ("legal_entity", "currency")
    found = [
        _target(cols, (r["legal_entity"], r["currency"]), f"{r['legal_entity']} / {r['currency']}",
                [r["client_id"]])
        for r in rows
    ]  # fmt: skip
    for entity in read_rows(directory, "legal_entities.csv"):
        found.append(
            _target(cols, (entity["legal_entity"], entity["base_currency"]),
                    f"{entity['legal_entity']} / {entity['base_currency']}",
                    [entity["legal_entity"], entity["name"]])
        )  # fmt: skip
    return _merge(found)


def store_dimension_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    """Targets of a store's financial dimension ``context`` (BusinessUnit, Department): the values
    other stores already carry (with those stores' names), then every value of that dimension in
    gl_dimension_values.csv, which the D365 pull checks against D365. Never a value outside it."""
    cols = ("dimension", "value")
    described = {
        r["value"]: r["description"]
        for r in read_rows(directory, "gl_dimension_values.csv")
        if r["dimension"] == context
    }
    names = {r["store_id"]: r["store_name"] for r in read_rows(directory, "stores.csv")}

    def target(value: str, texts: list[str]) -> Target:
        # Not _target: the dimension's own name would be a text of every target alike.
        return Target(
            tuple(zip(cols, (context, value), strict=True)),
            tuple(dict.fromkeys(t for t in texts if t)),
            f"{context} {value} ({described[value]})",
        )

    found = [
        target(r["value"], [r["value"], described[r["value"]], names.get(r["store_id"], "")])
        for r in rows
        if r["value"] in described
    ]
    found += [target(value, [value, description]) for value, description in described.items()]
    return _merge(found)


def product_match_targets(directory: Path, context: str, rows: list[Row]) -> list[Target]:
    """The D365 item numbers product_matches.csv already names, as every kind reads its file
    (:func:`targets_for`). The co-pilot does not suggest from these (each names a SKU another
    item holds): a Retail item's candidates are the D365 SKUs in the warehouse that no item holds
    (:mod:`~hl_d365_assets.mapping_copilot.product_matches`), and the evaluation skips the kind."""
    cols = ("d365_item_number",)
    return _merge(
        [_target(cols, (r["d365_item_number"],), r["d365_item_number"], [r["description"]])
         for r in rows]
    )  # fmt: skip


TargetBuilder = Callable[[Path, str, list[Row]], list[Target]]

KINDS: dict[str, tuple[MappingKind, TargetBuilder]] = {
    kind.name: (kind, builder)
    for kind, builder in (
        (MappingKind("retail_payment_type", "retail_payment_types.csv", ("payment_type_name",),
                     ("tender_type", "card_brand")), retail_payment_type_targets),
        (MappingKind("payment_method", "payment_methods.csv", ("source_field", "source_value"),
                     ("payment_method_code",), scope_columns=("store_id",)),
         payment_method_targets),
        (MappingKind("transaction_status", "transaction_statuses.csv",
                     ("source_field", "source_value"), ("status_code", "is_financial")),
         status_targets),
        (MappingKind("tax_code", "tax_codes.csv", ("tax_code",),
                     ("rate_percent", "d365_sales_tax_code")), tax_code_targets),
        (MappingKind("gl_posting_rule", "gl_posting_rules.csv", ("posting_kind", "match_value"),
                     ("main_account", "dimensions")), gl_posting_rule_targets),
        (MappingKind("earning_code", "gl_payroll_posting_rules.csv", ("item_class", "item_code"),
                     ("main_account", "dimensions"), fixed={"side": "debit"},
                     replay_job="payroll_job"), earning_code_targets),
        (MappingKind("payroll_department", "payroll_departments.csv", ("department_code",),
                     ("d365_department",), replay_job="payroll_job"), payroll_department_targets),
        (MappingKind("payroll_client", "payroll_clients.csv", ("client_id",),
                     ("legal_entity", "currency"), description_column="",
                     replay_job="payroll_job"), payroll_client_targets),
        # A store's dimensions are one file for two journals: the daily journal's lines and the
        # payroll journal's (a payroll location is a store, or HQ). One kind per journal, so each
        # approval replays the job whose days it held.
        (MappingKind("store_dimension", "gl_store_dimensions.csv", ("dimension", "store_id"),
                     ("dimension", "value"), description_column=""), store_dimension_targets),
        (MappingKind("payroll_location_dimension", "gl_store_dimensions.csv",
                     ("dimension", "store_id"), ("dimension", "value"), description_column="",
                     replay_job="payroll_job"), store_dimension_targets),
        # A Heartland Retail item the product match left unmatched: the match is rebuilt whole
        # (not per day), so its replay is one run of the product-matching asset.
        (MappingKind("product_match", "product_matches.csv", ("retail_item_id",),
                     ("d365_item_number",), replay_job="product_matching_job",
                     replay_assets=("canonical/products",)), product_match_targets),
    )
}  # fmt: skip
"""Every kind the suggestions cover, by the name ``ops.mapping_suggestions.mapping_kind`` holds."""


def value_texts(directory: Path, kind_name: str, context: str, value: str) -> tuple[str, ...]:
    """The unmapped value as the suggester reads it: the value itself, then what the other mapping
    files already say about it. A GL rule's value is a code another file produced (``MC`` is
    "Mastercard credit and debit" in payment_methods.csv; ``NY_SALES`` is the sales tax of tax
    code NY-STD, "New York City combined sales tax"); a tax code belongs to stores whose time zone
    names their city. Never a record's data: only mapping rows."""
    texts = [value]
    key = normalised(value)
    if kind_name == "gl_posting_rule":
        texts[0] = f"{context.replace('_', ' ')} {value}"
        for method in read_rows(directory, "payment_methods.csv"):
            if context == "tender" and normalised(method["payment_method_code"]) == key:
                texts.append(method["description"])
        for tax in read_rows(directory, "tax_codes.csv"):
            if context == "sales_tax" and normalised(tax["d365_sales_tax_code"]) == key:
                texts.append(f"sales tax {tax['description']}")
        for dim in read_rows(directory, "gl_dimension_values.csv"):
            if context in ("revenue", "returns") and normalised(dim["value"]) == key:
                word = "sales" if context == "revenue" else "sales returns"
                texts.append(f"{word} {dim['description']}")
    if kind_name in ("store_dimension", "payroll_location_dimension"):
        # A store is known by its name and city (stores.csv); its revenue department there is
        # what finance calls its Department elsewhere.
        for store in read_rows(directory, "stores.csv"):
            if normalised(store["store_id"]) == key:
                texts += [store["store_name"], store["timezone"].split("/")[-1].replace("_", " ")]
                if context == "Department":
                    texts.append(store["department"])
    if kind_name == "tax_code":
        for store in read_rows(directory, "stores.csv"):
            if normalised(store["tax_code"]) == key:
                texts.append(store["timezone"].split("/")[-1].replace("_", " "))
    return tuple(dict.fromkeys(texts))


def targets_for(
    directory: Path, kind_name: str, context: str, rows: list[Row] | None = None
) -> list[Target]:
    """The targets a value of ``kind_name`` in ``context`` may map to; ``rows`` replaces the
    file's rows (the evaluation holds some out)."""
    kind, builder = KINDS[kind_name]
    every = read_rows(directory, kind.file) if rows is None else rows
    return builder(directory, context, kind.rows_in_context(every, context))
