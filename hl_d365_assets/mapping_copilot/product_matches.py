"""Suggestions for a Heartland Retail item the product match left unmatched: which D365 SKU it
is, for a pair finance writes into ``mappings/product_matches.csv``.

Unlike the other kinds, the targets are not in the mapping files: they are the D365 SKUs in the
warehouse that no Retail item holds (``canonical.products``, from the newest D365 pull). Two
things count as evidence:

- the names: the item's description against the SKU's product name, with the co-pilot's own
  similarity (:func:`~hl_d365_assets.mapping_copilot.similarity.text_match`);
- the number: the item's Item # and the SKU's item number written differently but naming the
  same number (``SKU-10478`` and ``HL-10478``: the same letters and digits, or the same four or
  more digits). Item numbers are not compared as text: numbers issued in sequence
  (``SKU-10478``, ``SKU-10481``) read alike and say nothing.

No barcode can help (a shared one would have paired them), and no price is read. A SKU whose name
reads like the item's only by chance is not shown: below :data:`MIN_SCORE` nothing points to it,
and the co-pilot does not guess.
"""

from __future__ import annotations

import re

import duckdb

from hl_d365_assets.mapping_copilot.kinds import Target
from hl_d365_assets.mapping_copilot.similarity import text_match
from hl_d365_assets.mapping_copilot.suggestions import EVIDENCE_WEIGHT, Suggestion
from hl_d365_assets.warehouse import sql_file

KIND = "product_match"
SHORTLIST = 25
"""SKUs scored per item, after the SQL's shortlist (shared number, shared words, Jaro-Winkler)."""
MIN_SCORE = 0.55
"""The weakest match shown. Of the 102,696 pairs of the sandbox catalogue's 480 descriptions
that share no word, the closest scores 0.52 (``Heritage Headphones``, ``Vintage Phone Case``);
a reworded name (``Serving Bowl, Heritage`` for ``Heritage Serving Bowl``) scores 1.00."""


def same_number(public_id: str, item_number: str) -> str | None:
    """The number two item codes share, when they are one code written two ways; else None."""
    letters = [re.sub(r"[^0-9A-Z]", "", code.upper()) for code in (public_id, item_number)]
    if letters[0] and letters[0] == letters[1]:
        return letters[0]
    digits = [re.sub(r"\D", "", code) for code in (public_id, item_number)]
    return digits[0] if len(digits[0]) >= 4 and digits[0] == digits[1] else None


def item_candidates(
    conn: duckdb.DuckDBPyConnection, retail_item_id: str
) -> tuple[str, str, list[Target]]:
    """The item's Item # and description, and the SKUs it may be, shortlisted."""
    rows = conn.execute(
        sql_file("ops/list_product_match_candidates.sql"),
        {"item_id": retail_item_id, "shortlist": SHORTLIST},
    ).fetchall()
    if not rows:
        return retail_item_id, "", []
    public_id, description = rows[0][0] or retail_item_id, rows[0][1]
    targets = [
        Target(
            (("d365_item_number", item_number),),
            (name,),
            f"{item_number} ({name})" if name else item_number,
        )
        for *_, item_number, name in rows
        if item_number is not None
    ]
    return public_id, description, targets


def suggest_skus(
    conn: duckdb.DuckDBPyConnection, retail_item_id: str, top: int
) -> list[Suggestion]:
    """The ``top`` SKUs the item most likely is, best first; none when nothing points to one.
    A shared number weighs as co-occurrence evidence does for the other kinds
    (:data:`~hl_d365_assets.mapping_copilot.suggestions.EVIDENCE_WEIGHT`), the names the rest;
    without it the names alone decide. Ties go to the lower item number (deterministic)."""
    public_id, description, targets = item_candidates(conn, retail_item_id)
    ranked = []
    for target in targets:
        item_number = target.as_dict["d365_item_number"]
        name = text_match((description,), target.texts) if description else None
        score = name.score if name else 0.0
        words = []
        if name and name.closest_text:
            words.append(
                f'"{description}" reads like "{name.closest_text}" (name similarity '
                f"{name.name_similarity:.2f}, 3-gram cosine {name.ngram_cosine:.2f})"
            )
        number = same_number(public_id, item_number)
        if number:
            score = EVIDENCE_WEIGHT + (1 - EVIDENCE_WEIGHT) * score
            words.append(f"Item # {public_id} and D365 item number {item_number} both say {number}")
        if score >= MIN_SCORE:
            ranked.append(
                (
                    -round(score, 6),
                    item_number,
                    Suggestion(target, round(score, 3), "; ".join(words)),
                )
            )
    ranked.sort(key=lambda entry: entry[:2])
    return [suggestion for *_, suggestion in ranked[:top]]
