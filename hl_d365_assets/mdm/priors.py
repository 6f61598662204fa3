"""Prior m and u probabilities of the matching model, from mappings/mdm_model_priors.csv.

The model is estimated from each night's records, but a small or new customer file cannot
support every estimate (no two records share an e-mail: nothing for EM to learn the e-mail's
weight from). Those parameters take a documented value a person chose and can read in git
history, rather than crashing the run or silently using a library default.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class LevelPrior:
    m_probability: float
    u_probability: float


ModelPriors = dict[tuple[str, str], LevelPrior]
"""(comparison output column, level label) → its prior m and u."""


def read_model_priors(conn: duckdb.DuckDBPyConnection) -> ModelPriors:
    """``ref.mdm_model_priors`` (loaded by thresholds.load_thresholds), keyed by level."""
    rows = conn.execute(
        "SELECT comparison, level, m_probability, u_probability FROM ref.mdm_model_priors"
    ).fetchall()
    priors = {(comparison, level): LevelPrior(m, u) for comparison, level, m, u in rows}
    for (comparison, level), prior in priors.items():
        if not (0 < prior.m_probability <= 1 and 0 < prior.u_probability <= 1):
            raise ValueError(
                f"mdm_model_priors.csv: {comparison} / {level}: m and u must be in (0, 1]"
            )
    return priors
