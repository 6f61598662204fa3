"""Pairwise precision, recall and F1 of the golden records against a ground truth.

A pair of records is predicted when both sit in one golden customer, and true when both are
one person. Counted per group (n records make n(n-1)/2 pairs), never by listing pairs, so it
runs at any size. Records the truth gives no person (the walk-in customer, anonymous cards)
are not in canonical.customer_records, so they take no part.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from hl_d365_assets.warehouse import sql_file


@dataclass(frozen=True)
class PairwiseScores:
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_metadata(self) -> dict[str, float]:
        return {
            "records": self.records,
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def pairwise_scores(conn: duckdb.DuckDBPyConnection, truth_table: str) -> PairwiseScores:
    """Score mdm.customer_xref against ``truth_table`` (source, source_key, person)."""
    row = conn.execute(sql_file("mdm/score_pairwise_matches.sql", truth=truth_table)).fetchone()
    return PairwiseScores(*(int(value or 0) for value in row))
