"""The probabilistic half of customer matching: a splink (Fellegi-Sunter) model on DuckDB.

Settings are data a person can read: what is compared and at which levels, which pairs are
scored at all (blocking), and the deterministic rules the model's prior comes from. The model
is estimated from the records themselves every run (u by random sampling, m by expectation
maximisation): production has no labels. Every scored pair keeps its comparison levels
(``gamma_*``), which mdm.match_reviews shows a reviewer as the reasons for the score.

splink runs on its own in-memory DuckDB connection: its scratch tables never land in the
warehouse file, and the warehouse transaction only sees the scored pairs it asked for.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, DuckDBAPI, Linker, SettingsCreator, block_on
from splink.clustering import cluster_pairwise_predictions_at_threshold

from hl_d365_assets.mdm.priors import ModelPriors
from hl_d365_assets.mdm.thresholds import MatchThresholds
from hl_d365_assets.mdm.training import ModelTraining, estimate_prior, train

SCORED_COLUMNS = (
    "unique_id_l",
    "unique_id_r",
    "match_probability",
    "match_weight",
    "gamma_given_name_key_last_name_key",
    "gamma_email_mailbox",
    "gamma_phone_e164",
    "gamma_address_key",
    "gamma_postcode",
    "gamma_city_key",
)


def model_settings(probability_two_random_records_match: float = 1e-4) -> SettingsCreator:
    """What the model compares and which pairs it scores.

    Blocking covers each way the same person's records still agree on something exact: e-mail
    mailbox, phone, surname in a postcode, first name in a postcode (a typo'd surname), the
    street in a postcode (names swapped or misspelt), and first and last name swapped.
    """
    return SettingsCreator(
        link_type="dedupe_only",
        probability_two_random_records_match=probability_two_random_records_match,
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ForenameSurnameComparison("given_name_key", "last_name_key"),
            # Exact mailbox, or the same name before the @ at another provider; no fuzzy level:
            # local parts are made of names, so two namesakes' addresses look alike.
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("email_mailbox"),
                    cll.ExactMatchLevel("email_mailbox"),
                    cll.ExactMatchLevel(ColumnExpression("email_mailbox").regex_extract("^[^@]+")),
                    cll.ElseLevel(),
                ],
                output_column_name="email_mailbox",
            ),
            cl.ExactMatch("phone_e164"),
            cl.LevenshteinAtThresholds("address_key", [2]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("city_key"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email_mailbox"),
            block_on("phone_e164"),
            block_on("last_name_key", "postcode"),
            block_on("given_name_key", "postcode"),
            block_on("address_key", "postcode"),
            "l.given_name_key = r.last_name_key AND l.last_name_key = r.given_name_key",
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
    )


@dataclass(frozen=True)
class ScoredPairs:
    pairs: pa.Table
    """SCORED_COLUMNS of every pair at or over the review threshold."""
    levels: pa.Table
    """What each comparison level means and weighs: (gamma_column, gamma, label, match_weight)."""
    training: ModelTraining
    """Which parameters were estimated and which took their configured prior, and why."""


def score_pairs(
    records: pa.Table, thresholds: MatchThresholds, priors: ModelPriors, seed: int = 15
) -> ScoredPairs:
    """Scored pairs at or over the review threshold, with the model's levels.

    ``records``: sql/mdm/stage_match_input.sql's columns (two or more). The model is estimated
    as far as the records support it (mdm/training.py); the rest takes ``priors``.
    Deterministic: a seeded sample."""
    con = duckdb.connect()
    try:
        api = DuckDBAPI(con)
        _quiet_splink()
        frame = api.register(records, table_name="customer_match_input")
        training = ModelTraining()
        prior = estimate_prior(frame, thresholds, training)
        linker = Linker(frame, model_settings(prior), log_level=None)
        model = train(linker, frame, thresholds, priors, training, seed)
        # Scored by the completed model: estimated values, and priors where there were none.
        linker = Linker(frame, model, log_level=None)
        predictions = linker.inference.predict(
            threshold_match_probability=thresholds.review_probability
        )
        scored = con.sql(
            f"SELECT {', '.join(SCORED_COLUMNS)} FROM {predictions.physical_name}"
        ).to_arrow_table()
        return ScoredPairs(scored, _levels(model), training)
    finally:
        con.close()


def connected_components(nodes: pa.Table, edges: pa.Table) -> pa.Table:
    """(node_id, cluster_id) for every node: records linked directly or through others."""
    con = duckdb.connect()
    try:
        api = DuckDBAPI(con)
        clusters = cluster_pairwise_predictions_at_threshold(
            api.register(nodes, table_name="customer_nodes"),
            api.register(edges, table_name="customer_edges"),
            api,
            node_id_column_name="node_id",
        )
        return con.sql(f"SELECT node_id, cluster_id FROM {clusters.physical_name}").to_arrow_table()
    finally:
        con.close()


def _levels(model: dict) -> pa.Table:
    """Each comparison level of the estimated model, keyed as splink's predictions are: the
    null level is gamma -1, the others count down from the first (strongest) to 0 (else)."""
    rows: dict[str, list] = {"gamma_column": [], "gamma": [], "label": [], "match_weight": []}
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"]]
        agreeing = [level for level in levels if not level.get("is_null_level")]
        for level in levels:
            null = bool(level.get("is_null_level"))
            m, u = level.get("m_probability"), level.get("u_probability")
            rows["gamma_column"].append(f"gamma_{comparison['output_column_name']}")
            rows["gamma"].append(-1 if null else len(agreeing) - 1 - agreeing.index(level))
            rows["label"].append(level["label_for_charts"])
            rows["match_weight"].append(math.log2(m / u) if m and u else 0.0)
    return pa.table(rows)


def _quiet_splink() -> None:
    """splink logs each training step at INFO with record values in its charts' data; our logs
    carry no personal data, so only its warnings pass."""
    logging.getLogger("splink").setLevel(logging.WARNING)
