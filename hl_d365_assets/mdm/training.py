"""Estimating the matching model from whatever the night's records support, and no more.

A large customer file gives splink everything: pairs the deterministic rules link (the prior),
random pairs (u), pairs sharing an e-mail and pairs sharing a whole name (the two EM sessions
that estimate m). A small or new file may give none of it: no two records share an e-mail, or
the records are too few for EM to learn from. splink then raises (an EM session without pairs)
or leaves a level untrained, and the nightly run must not crash on that. So each estimate runs
only where the data supports it; every parameter that could not be estimated takes its prior
from mappings/mdm_model_priors.csv (the prior match probability from mdm_match_thresholds.csv);
and ``ModelTraining`` records which was estimated, which fell back and why — counts and level
labels only, for the asset's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from splink import Linker, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules

from hl_d365_assets.mdm.priors import ModelPriors
from hl_d365_assets.mdm.thresholds import MatchThresholds

if TYPE_CHECKING:
    from splink.internals.splink_dataframe import SplinkDataFrame

DETERMINISTIC_RULES = [
    "l.email_mailbox = r.email_mailbox AND l.given_name_key = r.given_name_key"
    " AND l.last_name_key = r.last_name_key",
    "l.phone_e164 = r.phone_e164 AND l.given_name_key = r.given_name_key"
    " AND l.last_name_key = r.last_name_key",
]
"""The e-mail and phone rules of sql/mdm/stage_rule_links.sql, as splink reads them."""


@dataclass(frozen=True)
class TrainingSession:
    """One EM session: it blocks on ``columns``, so it holds that comparison fixed and
    estimates the m of every other one."""

    name: str
    columns: tuple[str, ...]
    holds_fixed: str
    """The comparison (output column) it cannot estimate."""


TRAINING_SESSIONS = (
    TrainingSession("email_mailbox", ("email_mailbox",), "email_mailbox"),
    TrainingSession(
        "whole_name", ("given_name_key", "last_name_key"), "given_name_key_last_name_key"
    ),
)
"""Between them, every comparison's m is estimated once (when both have pairs enough)."""


@dataclass
class ModelTraining:
    """What a run estimated and what fell back to its configured prior, and why."""

    prior_match_probability: float = 0.0
    prior: str = ""
    """``estimated from N deterministic pairs`` or ``configured: <why>``."""
    sessions: dict[str, str] = field(default_factory=dict)
    """EM session → ``estimated from N pairs`` or ``skipped: <why>``."""
    estimated: list[str] = field(default_factory=list)
    """``comparison / level / m|u`` of each parameter estimated from the records."""
    fallen_back: dict[str, str] = field(default_factory=dict)
    """``comparison / level / m|u`` → why it took its prior."""

    def as_metadata(self) -> dict:
        return {
            "prior_match_probability": self.prior_match_probability,
            "prior": self.prior,
            "em_sessions": dict(self.sessions),
            "parameters_estimated": len(self.estimated),
            "parameters_fallen_back": dict(self.fallen_back),
        }


def untrained(priors: ModelPriors, thresholds: MatchThresholds, reason: str) -> ModelTraining:
    """The record of a run that had nothing to train on (fewer than two records)."""
    training = ModelTraining(
        prior_match_probability=thresholds.fallback_prior_match_probability,
        prior=f"configured: {reason}",
        sessions={session.name: f"skipped: {reason}" for session in TRAINING_SESSIONS},
    )
    for comparison, level in priors:
        for m_or_u in ("m", "u"):
            training.fallen_back[_parameter(comparison, level, m_or_u)] = reason
    return training


def estimate_prior(
    frame: SplinkDataFrame, thresholds: MatchThresholds, training: ModelTraining
) -> float:
    """How likely two random records are one person: splink's estimate (pairs the
    deterministic rules link, over their recall, over all pairs), where it means something."""
    (counted,) = _count_pairs(frame, DETERMINISTIC_RULES)[-1:]
    linked = counted["cumulative_comparison_count"]
    total = counted["total_possible_comparison_count"]
    if linked == 0:
        reason = "the deterministic rules link no pair"
    elif linked > total * thresholds.deterministic_recall:
        reason = "the deterministic rules link more pairs than their recall allows (a tiny file)"
    else:
        training.prior_match_probability = linked / thresholds.deterministic_recall / total
        training.prior = f"estimated from {linked} deterministic pairs"
        return training.prior_match_probability
    training.prior_match_probability = thresholds.fallback_prior_match_probability
    training.prior = f"configured: {reason}"
    return training.prior_match_probability


def train(
    linker: Linker,
    frame: SplinkDataFrame,
    thresholds: MatchThresholds,
    priors: ModelPriors,
    training: ModelTraining,
    seed: int,
) -> dict:
    """Estimate u and m where the records allow; return the model (splink's settings as JSON)
    with every level's m and u set, estimated or prior, recorded in ``training``."""
    linker.training.estimate_u_using_random_sampling(max_pairs=thresholds.em_max_pairs, seed=seed)
    ran = []
    for session in TRAINING_SESSIONS:
        rule = block_on(*session.columns)
        pairs = _count_pairs(frame, [rule])[-1]["cumulative_comparison_count"]
        if pairs < thresholds.em_min_training_pairs:
            training.sessions[session.name] = (
                f"skipped: {pairs} pairs, fewer than em_min_training_pairs "
                f"({thresholds.em_min_training_pairs})"
            )
            continue
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
        training.sessions[session.name] = f"estimated from {pairs} pairs"
        ran.append(session)

    model = linker.misc.save_model_to_json()
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        able = [session.name for session in ran if session.holds_fixed != name]
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            prior = priors.get((name, level["label_for_charts"]))
            if prior is None:
                raise ValueError(
                    f"mappings/mdm_model_priors.csv lacks {name} / {level['label_for_charts']}"
                )
            why_not = {
                "m": f"level not seen in the pairs of EM session {', '.join(able)}"
                if able
                else "no EM session that estimates it had pairs enough",
                "u": "level not seen among the random pairs sampled",
            }
            for m_or_u, value in (("m", prior.m_probability), ("u", prior.u_probability)):
                key = f"{m_or_u}_probability"
                parameter = _parameter(name, level["label_for_charts"], m_or_u)
                if level.get(key) is None:
                    level[key] = value
                    training.fallen_back[parameter] = why_not[m_or_u]
                else:
                    training.estimated.append(parameter)
    model["probability_two_random_records_match"] = training.prior_match_probability
    return model


def _count_pairs(frame: SplinkDataFrame, rules: list) -> list[dict]:
    """Exactly how many record pairs the rules block together (cumulative, one row per rule)."""
    return count_comparisons_from_blocking_rules(
        frame, blocking_rules=rules, link_type="dedupe_only", record_sample_proportion=1.0
    )


def _parameter(comparison: str, level: str, m_or_u: str) -> str:
    return f"{comparison} / {level} / {m_or_u}"
