"""How alike an unmapped value and a target's texts read: normalised string similarity
(rapidfuzz) and character n-gram nearest neighbours. Both are pure functions of the strings, so
the suggestions are the same on every machine and every run.

Two measures because they fail differently: rapidfuzz's token-sort ratio reads whole words in any
order (``Debit Visa`` is ``Visa debit``) but little in ``MC`` against ``Mastercard``; the 3-gram
cosine sees shared fragments (``HST`` in ``Ontario HST``) and is the nearest-neighbour search over
every row and description. The scorer and weights are the best of those tried on
``hl-d365 mappings evaluate`` (token-sort, token-set, weighted and plain ratio; 0.3 and 0.6).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz import utils as fuzz_utils

NGRAM = 3
NAME_WEIGHT = 0.6
NGRAM_WEIGHT = 1 - NAME_WEIGHT


def plain(text: str) -> str:
    """Lower case, punctuation and underscores as spaces, runs of spaces as one."""
    return re.sub(r"\s+", " ", fuzz_utils.default_process(text.replace("_", " "))).strip()


def ngrams(text: str) -> Counter[str]:
    """Character n-grams of each word, padded so short codes (``MC``, ``02``) still have some."""
    grams: Counter[str] = Counter()
    for word in plain(text).split():
        padded = f" {word} "
        grams.update(padded[i : i + NGRAM] for i in range(max(1, len(padded) - NGRAM + 1)))
    return grams


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[gram] for gram, count in a.items())
    return dot / (
        math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    )


@dataclass(frozen=True)
class TextMatch:
    score: float
    """Weighted name similarity and n-gram cosine, 0..1."""
    name_similarity: float
    ngram_cosine: float
    closest_text: str
    """The target's text the value reads most like (for the reason shown to a person)."""


def text_match(value_texts: tuple[str, ...], texts: tuple[str, ...]) -> TextMatch:
    """The best of the value (and what the mapping files say of it) against each text: the
    nearest neighbour among the target's rows, descriptions and names."""
    best = TextMatch(0.0, 0.0, 0.0, "")
    for value in value_texts:
        grams = ngrams(value)
        for text in texts:
            name = fuzz.token_sort_ratio(value, text, processor=plain) / 100
            gram = cosine(grams, ngrams(text))
            score = NAME_WEIGHT * name + NGRAM_WEIGHT * gram
            if score > best.score:
                best = TextMatch(score, name, gram, text)
    return best
