"""canonical.products: D365 SKUs paired with Heartland Retail items, and what does not pair.

A Heartland Retail item is one SKU; a D365 SKU is an item number and five product-dimension ids
(blank for a product without variants; a product master's SKUs are its variants, a Retail
grid's cells). A pair finance wrote into mappings/product_matches.csv (a person's decision,
often an approved co-pilot suggestion) comes before any rule. Then the pair is found by the most
specific identifier first (reference
d365-entities-wave2.md §2): a D365 barcode equal to the item's UPC, then the item number equal
to the item's public_id, for SKUs without variants. A barcode claimed by two D365 SKUs (or two
Retail items) is ambiguous: D365 does not stop it, and picking one would send the wrong
product's price to the till. So everything carrying it is held out and listed
(``product_barcode_ambiguous``), never paired by guess; so are the SKUs and items found on one
side only (``product_unmatched_d365``, ``product_unmatched_retail``). All of it is set-based SQL
(sql/canonical/write_products.sql, sql/recon/record_product_exceptions.sql).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file

MATCH_STATUSES = ("matched", "unmatched_d365", "unmatched_retail", "ambiguous_barcode")


@dataclass(frozen=True)
class CatalogueMatch:
    """What one build found (counts only: what the asset's metadata shows)."""

    by_status: dict[str, int]
    by_rule: dict[str, int]
    ambiguous_barcodes: int
    business_date: date

    def metadata(self) -> dict[str, object]:
        return {
            **{status: self.by_status.get(status, 0) for status in MATCH_STATUSES},
            **{
                f"matched_by_{rule}": self.by_rule.get(rule, 0)
                for rule in ("mapping_file", "barcode", "item_number")
            },
            "ambiguous_barcodes": self.ambiguous_barcodes,
            "exceptions_date": self.business_date.isoformat(),
        }


def load_product_settings(conn: duckdb.DuckDBPyConnection, mappings_dir: str) -> dict[str, str]:
    """Load ref.product_sync, ref.product_sync_fields and ref.product_matches (finance's explicit
    pairs, which the match reads first); the named settings."""
    for name in ("product_sync", "product_sync_fields", "product_matches"):
        run_script(conn, sql_file(f"ref/load_{name}.sql"), {"dir": str(mappings_dir)})
    return dict(conn.execute("SELECT name, value FROM ref.product_sync").fetchall())


def build_products(
    conn: duckdb.DuckDBPyConnection, mappings_dir: str, now: datetime | None = None
) -> CatalogueMatch:
    """Rebuild canonical.products and its exceptions; the caller holds the transaction."""
    settings = load_product_settings(conn, mappings_dir)
    company = settings.get("d365_company")
    if not company:
        raise ValueError("mappings/product_sync.csv lacks d365_company")
    built_at = now or datetime.now(UTC)
    run_script(
        conn,
        sql_file("canonical/write_products.sql"),
        {"company": company.lower(), "now": built_at},
    )
    (snapshot,) = conn.execute("SELECT max(business_date) FROM raw.retail_items").fetchone()
    day = snapshot or built_at.date()
    run_script(conn, sql_file("recon/record_product_exceptions.sql"), {"day": day})
    by_status: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    for status, rule, rows in conn.execute(sql_file("canonical/summarise_products.sql")).fetchall():
        by_status[status] += rows
        if rule:
            by_rule[rule] += rows
    (ambiguous,) = conn.execute("SELECT count(*) FROM product_ambiguous_gtins").fetchone()
    return CatalogueMatch(dict(by_status), dict(by_rule), ambiguous, day)
