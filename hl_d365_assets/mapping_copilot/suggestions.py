"""Up to three suggested mappings for one unmapped value, each with a confidence and a reason in
words, from the mapping files and (when the warehouse has it) what the data says.

The score of a target is how alike the value and the target's texts read
(:mod:`~hl_d365_assets.mapping_copilot.similarity`); when the data holds evidence for the value
(its records co-occur with records of known mapping: a Retail payment type whose tenders name
gateway transactions of card brand VISA; a card brand whose transactions were paid with a Retail
payment type that maps to MC), the share of records pointing at each target weighs more than the
text. Ties are broken by the target's place in the files, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hl_d365_assets.mapping_copilot.kinds import Target
from hl_d365_assets.mapping_copilot.similarity import text_match

TOP = 3
EVIDENCE_WEIGHT = 0.6
"""With co-occurrence evidence, its share counts this much and the text the rest."""


@dataclass(frozen=True)
class Evidence:
    """What the records say about an unmapped value: how many of its records a target fits, out
    of how many records of the value, in words for the reason."""

    fitting: Callable[[Target], int]
    records: int
    words: Callable[[Target, int, int], str]
    """How the count of a target reads, given (target, records it fits, records)."""


@dataclass(frozen=True)
class Suggestion:
    target: Target
    confidence: float
    reason: str
    source: str = "offline"
    """``offline`` (files and data only) or ``language_model`` (added or re-ranked by one)."""


def suggest(
    value_texts: tuple[str, ...],
    targets: list[Target],
    evidence: Evidence | None = None,
    top: int = TOP,
) -> list[Suggestion]:
    """The ``top`` best targets for the value (``value_texts[0]``, then what the mapping files
    say of it: :func:`~hl_d365_assets.mapping_copilot.kinds.value_texts`), best first.

    A target nothing points to (no text alike, no record fitting: a confidence of 0.00) is no
    suggestion: none may be the answer, and a list of three zeros would read as three guesses."""
    value = value_texts[0]
    ranked = []
    for place, target in enumerate(targets):
        match = text_match(value_texts, target.texts)
        reason = (
            f'"{value}" reads like "{match.closest_text}" (name similarity '
            f"{match.name_similarity:.2f}, 3-gram cosine {match.ngram_cosine:.2f})"
        )
        score = match.score
        if evidence is not None and evidence.records:
            pointing = evidence.fitting(target)
            score = EVIDENCE_WEIGHT * pointing / evidence.records + (1 - EVIDENCE_WEIGHT) * score
            reason += "; " + evidence.words(target, pointing, evidence.records)
        if round(score, 3) > 0:
            ranked.append((-round(score, 6), place, Suggestion(target, round(score, 3), reason)))
    ranked.sort(key=lambda item: item[:2])
    return [suggestion for *_, suggestion in ranked[:top]]
