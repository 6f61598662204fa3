"""The matcher's thresholds, from the finance/CRM-editable mappings/mdm_match_thresholds.csv.

A value a reviewer's workload and the risk of a false merge both hang on belongs in a file its
owners can change and see in git history, not in code or an environment variable.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from hl_d365_assets.warehouse import run_script, sql_file


@dataclass(frozen=True)
class MatchThresholds:
    match_probability: float
    """At or above: merged without a person."""
    review_probability: float
    """From here to match_probability: queued in mdm.match_reviews."""
    em_max_pairs: int
    """Random record pairs for estimating chance agreement (splink's u values)."""
    deterministic_recall: float
    """Share of true matches the deterministic rules are taken to find."""
    em_min_training_pairs: int = 200
    """An EM session with fewer record pairs than this is skipped (its parameters take priors)."""
    fallback_prior_match_probability: float = 1e-4
    """How likely two random records are one person when the deterministic rules cannot say."""

    def __post_init__(self) -> None:
        if not 0 < self.review_probability <= self.match_probability <= 1:
            raise ValueError(
                "mdm_match_thresholds.csv: need 0 < review_probability <= match_probability <= 1"
            )
        if not 0 < self.fallback_prior_match_probability < 1:
            raise ValueError(
                "mdm_match_thresholds.csv: need 0 < fallback_prior_match_probability < 1"
            )


def load_thresholds(conn: duckdb.DuckDBPyConnection, mappings_dir: str) -> MatchThresholds:
    """Load ``ref.mdm_match_thresholds`` (and the other MDM mapping files) and read them."""
    for name in (
        "customer_nicknames",
        "mdm_survivorship",
        "mdm_match_thresholds",
        "mdm_model_priors",
    ):
        run_script(conn, sql_file(f"ref/load_{name}.sql"), {"dir": str(mappings_dir)})
    values = dict(conn.execute("SELECT name, value FROM ref.mdm_match_thresholds").fetchall())
    missing = {"match_probability", "review_probability", "em_max_pairs"} - values.keys()
    if missing:
        raise ValueError(f"mdm_match_thresholds.csv lacks {sorted(missing)}")
    return MatchThresholds(
        match_probability=values["match_probability"],
        review_probability=values["review_probability"],
        em_max_pairs=int(values["em_max_pairs"]),
        deterministic_recall=values.get("deterministic_recall", 0.7),
        em_min_training_pairs=int(values.get("em_min_training_pairs", 200)),
        fallback_prior_match_probability=values.get("fallback_prior_match_probability", 1e-4),
    )
